import path from 'node:path';
import { Router } from 'express';
import { MANIFEST_FILE } from '../services/prompt-build.service.ts';
import { AppError } from './app-error.ts';

const AUDIO_FILE = /^[0-9a-f]{16,64}\.wav$/;
const ONE_YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * Built prompt audio: `/audio/<hash>.wav` for a year and immutable (the name is a hash of what it says, so new
 * words get a new name), `/audio/manifest.json` revalidated on every fetch. Nothing else in the folder is served.
 */
export function audioRoutes(dir: string): Router {
  const router = Router();
  const root = path.resolve(dir);

  router.get(`/${MANIFEST_FILE}`, (_req, res, next) => {
    res.sendFile(MANIFEST_FILE, { root, headers: { 'Cache-Control': 'no-cache', 'Content-Type': 'application/json; charset=utf-8' }, cacheControl: false }, (error) => {
      if (error) next(new AppError(404, 'not-found', 'No prompt audio has been built'));
    });
  });

  router.get('/:file', (req, res, next) => {
    const file = req.params.file;
    if (!AUDIO_FILE.test(file)) {
      next(new AppError(404, 'not-found', `No audio named ${file.slice(0, 80)}`));
      return;
    }
    res.sendFile(file, { root, maxAge: ONE_YEAR_MS, immutable: true, headers: { 'Content-Type': 'audio/wav' } }, (error) => {
      if (error && !res.headersSent) next(new AppError(404, 'not-found', `No audio named ${file}`));
    });
  });

  return router;
}
