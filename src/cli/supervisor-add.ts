import { ConfigError, loadConfig } from '../config.ts';
import { connectDatabase } from '../database.ts';
import { isRole, ROLES, type Role } from '../domain/supervisor-role.policy.ts';
import { AppError } from '../http/app-error.ts';
import { createLogger } from '../logging/logger.ts';
import { SupervisorAccountService } from '../services/supervisor-account.service.ts';
import { SupervisorAccountError, SupervisorAuthService } from '../services/supervisor-auth.service.ts';

const USAGE = `usage: npm run supervisor:add -- <username> [--role ${ROLES.join('|')}] [--reset] [--password-stdin]
  new account: the password is read from standard input; the role defaults to supervisor
  --role on an existing account (without --reset) changes only its role; --reset sets a new password (and --role, if given)`;

const args = process.argv.slice(2);
const names: string[] = [];
const flags = new Set<string>();
let role: Role | undefined;
for (let i = 0; i < args.length; i += 1) {
  const arg = args[i];
  if (arg === '--role' || arg.startsWith('--role=')) {
    const value = arg === '--role' ? args[(i += 1)] : arg.slice('--role='.length);
    if (!isRole(value)) {
      console.error(`--role: one of ${ROLES.join(', ')}\n${USAGE}`);
      process.exit(64);
    }
    role = value;
  } else if (arg.startsWith('--')) flags.add(arg);
  else names.push(arg);
}
const unknown = [...flags].filter((f) => f !== '--password-stdin' && f !== '--reset');
if (names.length !== 1 || unknown.length > 0) {
  console.error(USAGE);
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
  const config = loadConfig();
  const logger = createLogger({ ...config.log, level: 'warn' });
  const database = await connectDatabase(config, logger);
  try {
    const accounts = new SupervisorAccountService({ store: database.store });
    if (role && !flags.has('--reset') && (await accounts.exists(names[0]))) {
      await accounts.assignRole(names[0], role);
      console.log(`supervisor ${names[0]} is now ${role}`);
    } else {
      const password = await readPassword();
      const auth = new SupervisorAuthService({ store: database.store, config, logger });
      const result = await auth.addSupervisor(names[0], password, { reset: flags.has('--reset'), role });
      console.log(`supervisor ${names[0]} ${result}${role || result === 'created' ? ` (${role ?? 'supervisor'})` : ''}`);
    }
  } finally {
    await database.close();
  }
} catch (error) {
  if (error instanceof SupervisorAccountError || error instanceof ConfigError || error instanceof AppError) {
    console.error(error.message);
    process.exit(65);
  }
  console.error(`supervisor:add failed: ${(error as Error).message}`);
  process.exit(1);
}
