import { ConfigError, loadConfig } from '../config.ts';
import { connectDatabase } from '../database.ts';
import { createLogger } from '../logging/logger.ts';
import { SupervisorAccountError, SupervisorAuthService } from '../services/supervisor-auth.service.ts';

const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith('--')));
const names = args.filter((a) => !a.startsWith('--'));
const unknown = [...flags].filter((f) => f !== '--password-stdin' && f !== '--reset');
if (names.length !== 1 || unknown.length > 0) {
  console.error('usage: npm run supervisor:add -- <username> [--reset] [--password-stdin]   (the password is read from standard input)');
  process.exit(64);
}

/** The password: the first line of standard input (typed at a prompt when it is a terminal, without echo). */
async function readPassword(): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) {
    process.stderr.write('Password (at least 10 characters): ');
    stdin.setRawMode(true);
    return new Promise((resolve) => {
      let typed = '';
      stdin.setEncoding('utf8').on('data', (chunk: string) => {
        for (const ch of chunk) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') {
            stdin.setRawMode(false);
            stdin.pause();
            process.stderr.write('\n');
            resolve(typed);
            return;
          }
          if (ch === '\u0003') process.exit(130);
          typed = ch === '\u007f' ? typed.slice(0, -1) : typed + ch;
        }
      });
    });
  }
  let text = '';
  for await (const chunk of stdin) text += String(chunk);
  return text.split(/\r?\n/)[0] ?? '';
}

try {
  const password = await readPassword();
  const config = loadConfig();
  const logger = createLogger({ ...config.log, level: 'warn' });
  const database = await connectDatabase(config, logger);
  try {
    const auth = new SupervisorAuthService({ store: database.store, config, logger });
    const result = await auth.addSupervisor(names[0], password, { reset: flags.has('--reset') });
    console.log(`supervisor ${names[0]} ${result}`);
  } finally {
    await database.close();
  }
} catch (error) {
  if (error instanceof SupervisorAccountError || error instanceof ConfigError) {
    console.error(error.message);
    process.exit(65);
  }
  console.error(`supervisor:add failed: ${(error as Error).message}`);
  process.exit(1);
}
