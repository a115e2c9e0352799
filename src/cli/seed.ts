import { ConfigError, loadConfig } from '../config.ts';
import { connectDatabase } from '../database.ts';
import { createLogger } from '../logging/logger.ts';
import { SeedError, seedCitizens } from '../services/citizen-seed.service.ts';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: npm run seed -- <citizens.json> [more.json ...]');
  process.exit(64);
}

try {
  const config = loadConfig();
  const logger = createLogger({ ...config.log, level: 'warn' });
  const database = await connectDatabase(config, logger);
  try {
    for (const file of files) {
      const result = await seedCitizens(database.store, file, config.pinPepper);
      console.log(`${file}: ${result.inserted} inserted, ${result.updated} updated`);
    }
  } finally {
    await database.close();
  }
} catch (error) {
  if (error instanceof SeedError || error instanceof ConfigError) {
    console.error(error.message);
    process.exit(65);
  }
  console.error(`seed failed: ${(error as Error).message}`);
  process.exit(1);
}
