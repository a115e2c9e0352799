/** The parts of jambonz's npm packages this app uses (they ship no type declarations). */

declare module '@jambonz/node-client' {
  import type { Request } from 'express';

  /** A jambonz verb as it is sent: its name in `verb`, its properties beside it. */
  export type JambonzVerb = { verb: string } & Record<string, unknown>;

  /** Builds a webhook's answer verb by verb, checking each against the verb specifications as it is added. */
  export class WebhookResponse {
    /** Express middleware that throws unless `Jambonz-Signature` matches `req.body` (raw or parsed) for the secret and is at most 5 minutes old. */
    static verifyJambonzSignature(secret: string | string[]): (req: Request, res: unknown, next: () => void) => void;
    readonly length: number;
    toJSON(): JambonzVerb[];
    addVerb(verb: string, payload: Record<string, unknown>): this;
    say(payload: Record<string, unknown>): this;
    play(payload: Record<string, unknown>): this;
    gather(payload: Record<string, unknown>): this;
    dial(payload: Record<string, unknown>): this;
    hangup(payload?: Record<string, unknown>): this;
    redirect(payload: Record<string, unknown>): this;
    pause(payload: Record<string, unknown>): this;
  }

  const client: { WebhookResponse: typeof WebhookResponse };
  export default client;
}

declare module '@jambonz/verb-specifications' {
  /** Validates an application (an array of verbs) as jambonz's feature server does; throws naming the first problem. */
  export function validate(logger: { debug(...args: unknown[]): void; info(...args: unknown[]): void }, verbs: unknown): void;
  /** Validates one verb's properties against its specification; throws naming the first problem. */
  export function validateVerb(name: string, data: unknown, logger: unknown): void;
  /** The specifications themselves, by verb (and nested type) name. */
  export const specs: Record<string, { properties: Record<string, unknown>; required?: string[] }>;
  const all: { validate: typeof validate; validateVerb: typeof validateVerb; specs: typeof specs };
  export default all;
}
