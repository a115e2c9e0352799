import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { ConfigError, loadConfig, promptParams, realChannels, realDeliveryConfigured } from '../../src/config.ts';

describe('configuration', () => {
  it('starts with safe defaults for a developer machine', () => {
    const config = loadConfig({});
    expect(config.port).to.equal(3000);
    expect(config.publicBaseUrl).to.equal('http://localhost:3000');
    expect(config.twilio.signatureCheck).to.equal(true);
    expect(config.lock).to.deep.equal({ afterFailures: 5, minutes: 30, maxFailuresPerDay: 20 });
    expect(config.loadDemoData, 'demo citizens in development').to.equal(true);
    expect(config.trustProxy).to.equal(false);
    expect(config.otp).to.deep.equal({ ttlSeconds: 300, maxSends: 3, sendWindowMinutes: 15 });
    expect(realDeliveryConfigured(config)).to.equal(false);
    expect(config.console.timeZone).to.equal('Asia/Shanghai');
  });

  for (const [name, value] of [
    ['PORT', 'eighty'],
    ['PUBLIC_BASE_URL', 'ftp://example.org'],
    ['MONGODB_URI', 'postgres://x'],
    ['PIN_PEPPER', 'short'],
    ['TWILIO_SIGNATURE_CHECK', 'maybe'],
    ['LOCK_MINUTES', '0'],
    ['AGENT_NUMBER', 'call me'],
    ['TTS_VOICE_ZH', 'en-US-Neural2-F'],
    ['TTS_ENCODING', 'MP3'],
    ['SAY_VOICE_EN', 'Joanna'],
    ['AUDIO_ENABLED', 'sometimes'],
    ['CONSOLE_TIME_ZONE', 'China/Beijing'],
    ['DASHBOARD_APOLOGY_WARN_PERCENT', '150'],
    ['CONSOLE_MAX_CONCURRENT', '0'],
    ['CONSOLE_MAX_QUEUED', 'many'],
    ['TRUST_PROXY', 'true'],
    ['METRICS_PORT', 'internal'],
    ['LOCK_MAX_FAILURES_PER_DAY', '2'],
    ['GATHER_TIMEOUT_ID_SECONDS', '1'],
    ['GATHER_TIMEOUT_MENU_SECONDS', 'soon'],
    ['CALLBACK_WITHIN_HOURS', '0'],
    ['AGENT_HOURS', '9 to 5'],
    ['JAMBONZ_WEBHOOK_SECRET', 'short'],
    ['JAMBONZ_VOICE_ZH', 'google/en-US/en-US-Neural2-F'],
    ['JAMBONZ_VOICE_EN', 'Polly.Joanna'],
  ] as const) {
    it(`when ${name} is ${JSON.stringify(value)}, start-up stops naming ${name}`, () => {
      expect(() => loadConfig({ [name]: value })).to.throw(ConfigError, name);
    });
  }

  it('each kind of entry has its own timer: short for one-key menus, longer for the ID and codes, each configurable', () => {
    expect(loadConfig({}).gatherTimeouts).to.deep.equal({ menu: 5, id: 10, code: 10, pin: 7 });
    expect(loadConfig({ GATHER_TIMEOUT_ID_SECONDS: '15', GATHER_TIMEOUT_PIN_SECONDS: '9' }).gatherTimeouts).to.deep.equal({ menu: 5, id: 15, code: 10, pin: 9 });
  });

  it('the retired GATHER_TIMEOUT_SECONDS stops start-up, naming the variables that replaced it (rather than being silently ignored)', () => {
    expect(() => loadConfig({ GATHER_TIMEOUT_SECONDS: '6' })).to.throw(ConfigError, /GATHER_TIMEOUT_SECONDS: replaced by .*GATHER_TIMEOUT_MENU_SECONDS.*GATHER_TIMEOUT_ID_SECONDS/);
  });

  it('callbacks and the agents\' hours are filled into the prompts that name them', () => {
    const config = loadConfig({ CALLBACK_WITHIN_HOURS: '2', AGENT_HOURS: '9:00-18:00' });
    expect(promptParams(config)).to.include({ callbackHours: 2, agentOpens: '9:00', agentCloses: '18:00' });
  });

  it('in production, refuses the development pepper and auth token and needs the public URL', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).to.throw(ConfigError, /PIN_PEPPER[\s\S]*TWILIO_AUTH_TOKEN[\s\S]*PUBLIC_BASE_URL[\s\S]*TWILIO_ACCOUNT_SID[\s\S]*SMTP_URL/);
  });

  describe('production refuses what is unsafe', () => {
    const safe = {
      NODE_ENV: 'production',
      PIN_PEPPER: 'a-real-secret-of-some-length',
      TWILIO_AUTH_TOKEN: 'real-auth-token-0123',
      PUBLIC_BASE_URL: 'https://hotline.example.org',
      TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
      TWILIO_SMS_FROM: '+15005550006',
      SMTP_URL: 'smtps://mail.example.org',
      METRICS_TOKEN: 'metrics-token-0123',
      MONGODB_URI: 'mongodb://db1,db2,db3/?replicaSet=rs0',
    };

    it('a complete production configuration starts, without demo citizens', () => {
      const config = loadConfig(safe);
      expect(config.loadDemoData).to.equal(false);
      expect(loadConfig({ ...safe, METRICS_TOKEN: '', METRICS_PORT: '9464' }).metricsPort, 'or metrics on an internal port').to.equal(9464);
    });

    for (const [name, value] of [
      ['TWILIO_SIGNATURE_CHECK', 'false'],
      ['PUBLIC_BASE_URL', 'http://hotline.example.org'],
      ['METRICS_TOKEN', ''],
      ['MONGODB_URI', ''],
      ['LOAD_DEMO_DATA', 'true'],
      ['JAMBONZ_WEBHOOK_SECRET', 'dev-jambonz-webhook-secret-change-me'],
      ['JAMBONZ_WEBHOOK_SECRET', 'only-16-characters'],
    ] as const) {
      it(`stops start-up naming ${name} when it is ${JSON.stringify(value)}`, () => {
        expect(() => loadConfig({ ...safe, [name]: value })).to.throw(ConfigError, name);
      });
    }

    it('the jambonz routes are off in production unless the account\'s own secret is given', () => {
      expect(loadConfig(safe).jambonz.webhookSecret).to.equal(undefined);
      expect(loadConfig({ ...safe, JAMBONZ_WEBHOOK_SECRET: 'a-real-jambonz-webhook-secret' }).jambonz.webhookSecret).to.equal('a-real-jambonz-webhook-secret');
    });

    it('demo citizens are opt-in outside development', () => {
      expect(loadConfig({ NODE_ENV: 'test' }).loadDemoData).to.equal(false);
      expect(loadConfig({ NODE_ENV: 'test', LOAD_DEMO_DATA: 'true' }).loadDemoData).to.equal(true);
      expect(loadConfig({ LOAD_DEMO_DATA: 'false' }).loadDemoData).to.equal(false);
    });

    it('TRUST_PROXY takes hops or proxy addresses', () => {
      expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).to.equal(2);
      expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).to.equal('loopback, 10.0.0.0/8');
      expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).to.equal(false);
    });
  });

  it('jambonz: a development secret by default only in development, and a synthesizer per language with an optional credential label', () => {
    expect(loadConfig({}).jambonz.webhookSecret).to.equal('dev-jambonz-webhook-secret-change-me');
    expect(loadConfig({ NODE_ENV: 'test' }).jambonz.webhookSecret).to.equal(undefined);
    expect(loadConfig({}).jambonz.voices).to.deep.equal({
      'zh-CN': { vendor: 'google', language: 'cmn-CN', voice: 'cmn-CN-Wavenet-A' },
      'en-US': { vendor: 'google', language: 'en-US', voice: 'en-US-Neural2-F' },
    });
    const custom = loadConfig({ JAMBONZ_VOICE_ZH: 'microsoft/zh-CN/zh-CN-XiaoxiaoNeural/cn-east', JAMBONZ_VOICE_EN: 'aws/en-US/Joanna' });
    expect(custom.jambonz.voices['zh-CN']).to.deep.equal({ vendor: 'microsoft', language: 'zh-CN', voice: 'zh-CN-XiaoxiaoNeural', label: 'cn-east' });
    expect(custom.jambonz.voices['en-US']).to.deep.equal({ vendor: 'aws', language: 'en-US', voice: 'Joanna' });
  });

  it('needs a sending number when Twilio Messaging is configured', () => {
    expect(() => loadConfig({ TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}` })).to.throw(ConfigError, 'TWILIO_SMS_FROM');
    expect(() => loadConfig({ TWILIO_SMS_FROM: '+15005550006' })).to.throw(ConfigError, 'TWILIO_ACCOUNT_SID');
    const config = loadConfig({ TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`, TWILIO_SMS_FROM: '+15005550006' });
    expect(realChannels(config)).to.deep.equal({ sms: true, email: false });
    expect(realDeliveryConfigured(config)).to.equal(false);
    expect(realDeliveryConfigured(loadConfig({ TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`, TWILIO_SMS_FROM: '+15005550006', SMTP_URL: 'smtp://127.0.0.1:25' }))).to.equal(true);
  });

  it('derives the public base URL from the port and strips a trailing slash', () => {
    expect(loadConfig({ PORT: '8080' }).publicBaseUrl).to.equal('http://localhost:8080');
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://hotline.example.org/' }).publicBaseUrl).to.equal('https://hotline.example.org');
  });

  it('.env.example lists exactly the variables the configuration reads', async () => {
    const source = await readFile('src/config.ts', 'utf8');
    const schemaBlock = source.slice(source.indexOf('const schema = z.object({'), source.indexOf('});', source.indexOf('const schema = z.object({')));
    const read = [...schemaBlock.matchAll(/^ {2}([A-Z_]+):/gm)].map((m) => m[1]).sort();
    const example = await readFile('.env.example', 'utf8');
    const listed = [...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]).sort();
    expect(read.length).to.be.greaterThan(20);
    expect(listed).to.deep.equal(read);
  });

  it('treats an empty value as unset, so .env.example can be loaded as it is', async () => {
    const example = await readFile('.env.example', 'utf8');
    const env = Object.fromEntries([...example.matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    const config = loadConfig(env);
    expect(config.port).to.equal(3000);
    expect(config.codeSendFloorMs).to.equal(300);
    expect(config.mongo.uri).to.equal(undefined);
    expect(() => loadConfig({ EMAIL_FROM: 'not an address' })).to.throw(ConfigError, 'EMAIL_FROM');
  });
});
