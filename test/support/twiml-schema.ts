import { expect } from 'chai';
import { XMLParser } from 'fast-xml-parser';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateXML, type XMLFileInfo } from 'xmllint-wasm';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where Twilio's TwiML schema is read from: ../shared/twiml-schema beside the clone, never copied in. */
export const schemaDir = path.resolve(repoRoot, '..', 'shared', 'twiml-schema');
const MAIN_XSD = 'twiml_v20100401_twilioRealtimeCallSchema.xsd';
const IMPORTED_XSDS = ['xml.xsd', 'twilio-extensions.xsd', 'synthesis-nonamespace.xsd'];

/** Twilio's schema predates neural and Google voices; widen its one voice pattern, in memory only. */
const OLD_VOICE_PATTERN = 'man|woman|male|female|eve|brian|Polly\\.[a-zA-Z]+';
const WIDE_VOICE_PATTERN = `${OLD_VOICE_PATTERN}|Polly\\.[a-zA-Z]+-(Neural|Generative)|Google\\.[a-z]{2,3}-[A-Z]{2}-[A-Za-z0-9]+-[A-Z]`;

/** Twilio's schema, ready for xmllint. */
export interface Schema {
  main: XMLFileInfo;
  preload: XMLFileInfo[];
}

/** Reads the schema and its imports, with the voice pattern widened to neural and Google voices. */
export async function loadSchema(): Promise<Schema> {
  const mainText = await readFile(path.join(schemaDir, MAIN_XSD), 'utf8');
  const widened = mainText.replace(`value="${OLD_VOICE_PATTERN}"`, `value="${WIDE_VOICE_PATTERN}"`);
  const preload = await Promise.all(
    IMPORTED_XSDS.map(async (fileName) => ({ fileName, contents: await readFile(path.join(schemaDir, fileName), 'utf8') })),
  );
  return { main: { fileName: MAIN_XSD, contents: widened }, preload };
}

/** Fails the test with xmllint's messages when the TwiML does not validate. */
export async function expectValid(schema: Schema, xml: string): Promise<void> {
  const result = await validateXML({ xml: { fileName: 'twiml.xml', contents: xml }, schema: schema.main, preload: schema.preload });
  const errors = result.errors.map((e) => e.rawMessage).join('\n');
  expect(result.valid, `TwiML is not valid against Twilio's schema:\n${errors}\n${xml}`).to.equal(true);
}

/** One element of a TwiML document, children in order. */
export interface TwimlNode {
  name: string;
  attrs: Record<string, string>;
  text: string;
  children: TwimlNode[];
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', preserveOrder: true, trimValues: true, parseTagValue: false, parseAttributeValue: false });

type Ordered = Record<string, unknown> & { ':@'?: Record<string, string> };

function toNodes(items: Ordered[]): TwimlNode[] {
  const nodes: TwimlNode[] = [];
  for (const item of items) {
    const name = Object.keys(item).find((key) => key !== ':@');
    if (!name || name === '#text' || name === '?xml') continue;
    const inner = (item[name] as Ordered[] | undefined) ?? [];
    nodes.push({
      name,
      attrs: item[':@'] ?? {},
      text: inner.map((c) => (c['#text'] === undefined ? '' : String(c['#text']))).join(''),
      children: toNodes(inner),
    });
  }
  return nodes;
}

/** The children of `<Response>`, in order. */
export function responseChildren(xml: string): TwimlNode[] {
  const top = toNodes(parser.parse(xml) as Ordered[]);
  expect(top.map((n) => n.name), xml).to.deep.equal(['Response']);
  return top[0].children;
}

/** True when Twilio's schema is present (the schema tests skip otherwise). */
export function schemaAvailable(): boolean {
  return existsSync(path.join(schemaDir, MAIN_XSD));
}
