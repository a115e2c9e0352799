import { XMLParser } from 'fast-xml-parser';

/** One spoken line of TwiML. */
export interface Spoken {
  text: string;
  language?: string;
  voice?: string;
}

/** A TwiML answer reduced to what a caller experiences. */
export interface ParsedTwiml {
  xml: string;
  says: Spoken[];
  /** URLs of `<Play>` elements, in order. */
  plays: string[];
  text: string;
  gather?: { action: string; numDigits?: string; finishOnKey?: string; timeout?: string; actionOnEmptyResult?: string; input?: string };
  dial?: string;
  /** Where Twilio reports how the `<Dial>` ended. */
  dialAction?: string;
  hangup: boolean;
  redirect?: string;
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', preserveOrder: true, trimValues: true, parseTagValue: false, parseAttributeValue: false });

type Ordered = Record<string, unknown> & { ':@'?: Record<string, string> };

function textOf(children: Ordered[]): string {
  return children.map((c) => String(c['#text'] ?? '')).join('');
}

/** Parses a TwiML document with a real XML parser (fails on anything that is not a <Response>). */
export function parseTwiml(xml: string): ParsedTwiml {
  const tree = parser.parse(xml) as Ordered[];
  const response = tree.find((node) => 'Response' in node);
  if (!response) throw new Error(`not TwiML: ${xml.slice(0, 200)}`);
  const result: ParsedTwiml = { xml, says: [], plays: [], text: '', hangup: false };
  const walk = (nodes: Ordered[]) => {
    for (const node of nodes) {
      const attrs = node[':@'] ?? {};
      if ('Play' in node) result.plays.push(textOf(node.Play as Ordered[]));
      if ('Say' in node) result.says.push({ text: textOf(node.Say as Ordered[]), language: attrs.language, voice: attrs.voice });
      if ('Gather' in node) {
        result.gather = {
          action: attrs.action,
          numDigits: attrs.numDigits,
          finishOnKey: attrs.finishOnKey,
          timeout: attrs.timeout,
          actionOnEmptyResult: attrs.actionOnEmptyResult,
          input: attrs.input,
        };
        walk(node.Gather as Ordered[]);
      }
      if ('Dial' in node) {
        result.dial = textOf(node.Dial as Ordered[]);
        result.dialAction = attrs.action;
      }
      if ('Hangup' in node) result.hangup = true;
      if ('Redirect' in node) result.redirect = textOf(node.Redirect as Ordered[]);
    }
  };
  walk(response.Response as Ordered[]);
  result.text = result.says.map((s) => s.text).join(' ');
  return result;
}
