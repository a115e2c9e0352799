/** The languages a caller can choose. */
export type Language = 'zh-CN' | 'en-US';

/** Every language the line speaks, Mandarin first (the default). */
export const LANGUAGES: readonly Language[] = ['zh-CN', 'en-US'];

/** The voices each language is spoken in by default (each can be changed in the configuration). */
export const VOICES = {
  'zh-CN': {
    /** BCP-47 code the synthesiser and Twilio's `<Say>` take for Mandarin. */
    languageCode: 'cmn-CN',
    /** Google Cloud Text-to-Speech voice for built audio. */
    tts: 'cmn-CN-Wavenet-A',
    /** Twilio `<Say>` voice when a prompt has no audio. */
    say: 'Polly.Zhiyu',
    /** espeak-ng voice for rough local audio. */
    espeak: 'cmn',
  },
  'en-US': { languageCode: 'en-US', tts: 'en-US-Neural2-F', say: 'Polly.Joanna-Neural', espeak: 'en-us' },
} as const satisfies Record<Language, { languageCode: 'cmn-CN' | 'en-US'; tts: string; say: string; espeak: string }>;

/** How a value known only during the call is spoken: a number as a number, characters one by one (`0, 0, 2, X`). */
export type SpokenAs = 'number' | 'characters';

/**
 * One prompt in both languages; `{name}` marks a value filled in at render time: a configured value (see
 * CONFIGURED_VALUES) or one known only during the call (declared in `perCall`). A text starting with `<speak>`
 * is SSML: synthesised as such, and heard (on `<Say>`) and shown with its tags removed.
 */
export interface PromptEntry {
  'zh-CN': string;
  'en-US': string;
  /** Played in both languages one after the other (the welcome, before a language is chosen). */
  bilingual?: boolean;
  /**
   * Values the flow supplies for one call (`{entered}`: how many keys were pressed) and how each is spoken.
   * Such a prompt is never pre-built as audio: it is always spoken with `<Say>`, so keep it short and put
   * the static choices that follow it in a prompt of their own.
   */
  perCall?: Readonly<Record<string, SpokenAs>>;
}

/** The single source of what callers hear, keyed by prompt id. */
export const PROMPTS = {
  welcome: {
    'zh-CN': '欢迎致电医保密码热线。普通话请按1。',
    'en-US': 'Welcome. For English, press 2.',
    bilingual: true,
  },
  'main.menu': {
    'zh-CN': '忘记密码或首次设置请按1，修改密码请按2，其他重置方式请按3，社保政策请按4，人工服务请按0，重听请按星号键。',
    'en-US': 'For a forgotten or new password, press 1. To change your password, press 2. For other ways to reset, press 3. For policy information, press 4. For an agent, press 0. To repeat, press star.',
  },
  'id.enter': {
    'zh-CN': '请输入18位身份证号，以井号键结束。末位X请按星号键。',
    'en-US': 'Enter your 18-character ID number, then press hash. For a final X, press star.',
  },
  'id.length': {
    'zh-CN': '您输入了{entered}位，身份证号是18位。',
    'en-US': 'You entered {entered} digits; the ID number has 18.',
    perCall: { entered: 'number' },
  },
  'id.invalid': {
    'zh-CN': '这个身份证号无效，请核对后重输。',
    'en-US': 'That ID number is not valid. Please check it and try again.',
  },
  'id.ending': {
    'zh-CN': '号码校验未通过。您输入的号码尾号是{last4}。',
    'en-US': 'That number does not check out. It ends in {last4}.',
    perCall: { last4: 'characters' },
  },
  'id.ending.choice': {
    'zh-CN': '号码无误请按1，重新输入请按2。',
    'en-US': 'To keep this number, press 1. To enter it again, press 2.',
  },
  'id.unverifiable': {
    'zh-CN': '这个号码无法在电话中核实。',
    'en-US': 'We cannot check this number by phone.',
  },
  'verify.menu': {
    'zh-CN': '验证码发短信请按1，发邮件请按2，手机和邮箱都不能用请按3。',
    'en-US': 'For a code by text message, press 1. For a code by email, press 2. If you have neither, press 3.',
  },
  'verify.neither': {
    'zh-CN': '身份只能通过您当初预留的手机或邮箱核实。两者都不能用的，请携带身份证原件到社保局前台重置密码。',
    'en-US':
      'We can only confirm who you are through the mobile or email you registered. If you have neither, bring your original ID card to the front desk of the Social Security Bureau.',
  },
  'after.info': {
    'zh-CN': '重听请按星号键，回主菜单请按9，转人工请按0。',
    'en-US': 'To repeat, press star. For the main menu, press 9. For an agent, press 0.',
  },
  'code.sent': {
    'zh-CN': '如资料相符，验证码已发出，{otpMinutes}分钟内有效。',
    'en-US': 'If the details match our records, a code has been sent, valid for {otpMinutes} minutes.',
  },
  'code.enter': {
    'zh-CN': '请输入6位验证码，以井号键结束。重发请按9和井号键。',
    'en-US': 'Enter the 6-digit code, then press hash. For a new code, press 9, then hash.',
  },
  'code.length': {
    'zh-CN': '您输入了{entered}位，验证码是6位。',
    'en-US': 'You entered {entered} digits; the code has 6.',
    perCall: { entered: 'number' },
  },
  'code.wrong': {
    'zh-CN': '验证码不正确。',
    'en-US': 'That code was not accepted.',
  },
  'current.enter': {
    'zh-CN': '请输入当前6位密码，以井号键结束。',
    'en-US': 'Enter your current 6-digit password, then press hash.',
  },
  'current.wrong': {
    'zh-CN': '密码不正确。',
    'en-US': 'That password was not accepted.',
  },
  'pin.length': {
    'zh-CN': '您输入了{entered}位，密码是6位。',
    'en-US': 'You entered {entered} digits; the password has 6.',
    perCall: { entered: 'number' },
  },
  'input.hash-only': {
    'zh-CN': '您只按了井号键。',
    'en-US': 'You pressed only the hash key.',
  },
  'verify.failed': {
    'zh-CN': '很抱歉，无法核实您的身份。连续失败{lockAfter}次，电话验证将暂停至少{lockMinutes}分钟。请稍后再试，或携带身份证原件到社保局前台办理。再见。',
    'en-US':
      'Sorry, we could not confirm who you are. After {lockAfter} failed attempts in a row, phone checks pause for at least {lockMinutes} minutes. Try again later, or bring your original ID card to the Social Security Bureau front desk. Goodbye.',
  },
  'card.locked': {
    'zh-CN': '验证失败次数过多，为保护账户安全，此卡的电话验证暂停至少{lockMinutes}分钟。您也可以携带身份证原件到社保局前台办理。再见。',
    'en-US':
      'Too many failed attempts. To protect your card, phone checks are paused for at least {lockMinutes} minutes. You can also bring your original ID card to the Social Security Bureau front desk. Goodbye.',
  },
  'pin.verified': {
    'zh-CN': '身份已核实。',
    'en-US': 'You are verified.',
  },
  'pin.enter': {
    'zh-CN': '请设置6位数字新密码，以井号键结束。',
    'en-US': 'Enter a new 6-digit password, then press hash.',
  },
  'pin.confirm': {
    'zh-CN': '请再输入一次，以井号键结束。',
    'en-US': 'Enter it again, then press hash.',
  },
  'pin.weak.format': {
    'zh-CN': '密码必须是6位数字。',
    'en-US': 'The password must be exactly 6 digits.',
  },
  'pin.weak.all-same': {
    'zh-CN': '密码不能是6个相同的数字。',
    'en-US': 'The password cannot be one digit repeated six times.',
  },
  'pin.weak.sequence': {
    'zh-CN':
      '<speak>密码不能是连续的数字，例如<say-as interpret-as="characters">123456</say-as>或<say-as interpret-as="characters">654321</say-as>。</speak>',
    'en-US': 'The password cannot be a straight run of digits, such as 1 2 3 4 5 6 or 6 5 4 3 2 1.',
  },
  'pin.weak.pattern': {
    'zh-CN':
      '<speak>密码不能是重复或对称的数字，例如<say-as interpret-as="characters">112233</say-as>或<say-as interpret-as="characters">123321</say-as>。</speak>',
    'en-US': 'The password cannot be a repeated or mirrored pattern, such as 1 1 2 2 3 3 or 1 2 3 3 2 1.',
  },
  'pin.weak.keypad': {
    'zh-CN': '<speak>密码不能是键盘上连成直线的数字，例如<say-as interpret-as="characters">147258</say-as>。</speak>',
    'en-US': 'The password cannot follow straight lines on the keypad, such as 1 4 7 2 5 8.',
  },
  'pin.weak.common': {
    'zh-CN': '这个密码太常见，很容易被猜到。',
    'en-US': 'That password is too common and easy to guess.',
  },
  'pin.weak.birth-date': {
    'zh-CN': '密码不能包含您的出生日期。',
    'en-US': 'The password cannot contain your date of birth.',
  },
  'pin.weak.id-tail': {
    'zh-CN': '密码不能是身份证号码的后六位。',
    'en-US': 'The password cannot be the last six digits of your ID number.',
  },
  'pin.weak.mobile-tail': {
    'zh-CN': '密码不能是您预留手机号码的后六位。',
    'en-US': 'The password cannot be the last six digits of your registered mobile number.',
  },
  'pin.weak.same-as-current': {
    'zh-CN': '新密码不能与当前密码相同。',
    'en-US': 'The new password cannot be the same as your current password.',
  },
  'pin.mismatch': {
    'zh-CN': '两次输入的密码不一致，请重新设置。',
    'en-US': "The two entries did not match. Let's set your new password again.",
  },
  'pin.changed': {
    'zh-CN': '密码已设置成功，我们会短信或邮件通知您。',
    'en-US': 'Your password is set. We will send a notice to your registered mobile or email.',
  },
  'other.ways': {
    'zh-CN': '还可以这样重置密码：登录本地社保网站，选择忘记密码，用预留手机或邮箱找回；或到医保中心的自助触摸屏，插入社保卡，按屏幕提示办理。手机和邮箱都不能用的，请携带身份证原件到社保局前台办理。',
    'en-US':
      'You can also reset a password on your local social security website: choose forgot password, and use your registered mobile or email. Or, at the touch screens in the medical insurance centre, insert your card and follow the screen. If you can use neither your mobile nor your email, bring your original ID card to the Social Security Bureau front desk.',
  },
  'policy.menu': {
    'zh-CN': '基本医疗保险请按1，养老保险请按2，工伤保险请按3，失业保险请按4，生育保险请按5，回主菜单请按9。',
    'en-US':
      'For medical insurance, press 1. For old-age insurance, press 2. For work injury insurance, press 3. For unemployment insurance, press 4. For maternity insurance, press 5. For the main menu, press 9.',
  },
  'policy.article12': {
    'zh-CN':
      '社会保险法第十二条：用人单位按照国家规定的本单位职工工资总额的比例缴纳基本养老保险费，记入基本养老保险统筹基金。职工按照国家规定的本人工资的比例缴纳，记入个人账户。无雇工的个体工商户、未在用人单位参加基本养老保险的非全日制从业人员以及其他灵活就业人员，按照国家规定缴纳，分别记入统筹基金和个人账户。',
    'en-US':
      'Article 12 of the Social Insurance Law, old-age insurance. The employer pays a share of its total payroll, set by the state, into the pooled fund. The employee pays a share of their own wage into their personal account. Self-employed people without employees, part-time workers and other flexible workers pay as the state sets, into both the pooled fund and their personal account.',
  },
  'policy.article23': {
    'zh-CN':
      '社会保险法第二十三条：职工应当参加职工基本医疗保险，由用人单位和职工按照国家规定共同缴纳基本医疗保险费。无雇工的个体工商户、非全日制从业人员以及其他灵活就业人员可以参加，由个人按照国家规定缴纳。',
    'en-US':
      'Article 23, basic medical insurance. Employees take part, and the employer and the employee pay the premium together, as the state sets. Self-employed people without employees, part-time workers and other flexible workers may join, and then pay the premium themselves.',
  },
  'policy.article35': {
    'zh-CN': '社会保险法第三十五条：用人单位应当按照本单位职工工资总额，根据社会保险经办机构确定的费率缴纳工伤保险费。职工个人不缴纳。',
    'en-US':
      'Article 35, work-related injury insurance. The employer pays the premium on its total payroll, at the rate set by the social insurance agency. Employees do not pay.',
  },
  'policy.article44': {
    'zh-CN': '社会保险法第四十四条：职工应当参加失业保险，由用人单位和职工按照国家规定共同缴纳失业保险费。',
    'en-US': 'Article 44, unemployment insurance. Employees take part, and the employer and the employee pay the premium together, as the state sets.',
  },
  'policy.article53': {
    'zh-CN': '社会保险法第五十三条：职工应当参加生育保险，由用人单位按照国家规定缴纳生育保险费，职工不缴纳生育保险费。',
    'en-US': 'Article 53, maternity insurance. Employees take part. The employer pays the premium as the state sets, and employees do not pay.',
  },
  'policy.after': {
    'zh-CN': '重听请按星号键，其他政策请按1，回主菜单请按9。',
    'en-US': 'To repeat, press star. For other policies, press 1. For the main menu, press 9.',
  },
  'input.invalid': {
    'zh-CN': '按键无效。',
    'en-US': 'That key is not valid.',
  },
  'input.none': {
    'zh-CN': '没有听到您的按键。',
    'en-US': 'We did not hear a key.',
  },
  'agent.transfer': {
    'zh-CN': '正在转接人工服务，请稍候。',
    'en-US': 'Connecting you to an agent. Please hold.',
  },
  'agent.too-many-tries': {
    'zh-CN': '您多次输入未成功。',
    'en-US': 'It seems you are having trouble.',
  },
  'agent.busy': {
    'zh-CN': '很抱歉，人工座席暂时繁忙，请稍后再拨。再见。',
    'en-US': 'Sorry, all our agents are busy. Please call again later. Goodbye.',
  },
  'agent.unavailable': {
    'zh-CN': '人工座席正忙。',
    'en-US': 'All our agents are busy.',
  },
  'callback.offer': {
    'zh-CN': '人工座席正忙。需要回电请按1，我们会在{callbackHours}小时内回拨本号码。再试人工请按0。',
    'en-US': 'All our agents are busy. To be called back on this number within {callbackHours} hours, press 1. To try an agent again, press 0.',
  },
  'callback.queued': {
    'zh-CN': '已为您登记回电，我们会在{callbackHours}小时内回拨本号码。',
    'en-US': 'Your callback is booked. An agent will call this number within {callbackHours} hours.',
  },
  'callback.exists': {
    'zh-CN': '本号码已在回电名单中，我们会尽快回拨。',
    'en-US': 'This number is already waiting for a callback. An agent will call you soon.',
  },
  'next.step': {
    'zh-CN': '您可以在工作日{agentOpens}至{agentCloses}再拨人工，也可以登录社保网站，或携带身份证原件到社保局前台办理。',
    'en-US': 'You can call an agent on weekdays from {agentOpens} to {agentCloses}, use the social security website, or bring your original ID card to the bureau front desk.',
  },
  goodbye: {
    'zh-CN': '感谢来电，再见。',
    'en-US': 'Thank you for calling. Goodbye.',
  },
  'trouble.apology': {
    'zh-CN': '很抱歉，系统暂时出现故障。人工服务请按0，重听请按星号键。您也可以挂机后稍后再拨。',
    'en-US': 'Sorry, we are having a technical problem. For an agent, press 0. To repeat, press star. Or hang up and call again later.',
  },
} as const satisfies Record<string, PromptEntry>;

/** A prompt id from the catalogue. */
export type PromptId = keyof typeof PROMPTS;

/** The configured values prompts may name (filled from the configuration, so their audio can be pre-built). */
export const CONFIGURED_VALUES = ['otpMinutes', 'lockMinutes', 'lockAfter', 'callbackHours', 'agentOpens', 'agentCloses'] as const;

/** Values a prompt may name: the configured ones (`{otpMinutes}` …), by name. */
export type PromptParams = Record<string, string | number>;

/**
 * A prompt as the flow names it: its id, or its id with the values known only during the call
 * (`id.length?entered=12`), made by `promptRef`. Timelines store these strings as they are.
 */
export type PromptRef = PromptId | `${PromptId}?${string}`;

/** The per-call values a prompt declares, by name. */
export type PerCallValues<I extends PromptId> = (typeof PROMPTS)[I] extends { perCall: infer S } ? { [K in keyof S]: string | number } : never;

/** True when a catalogue text is SSML (`<speak>…</speak>`) rather than plain text. */
export function isSsml(source: string): boolean {
  return /^\s*<speak[\s>]/.test(source);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The words of an SSML document: tags removed, the five XML entities decoded, spacing tidied. */
export function ssmlToText(ssml: string): string {
  return ssml
    .replace(/<[^>]*>/g, '')
    .replace(/&(amp|lt|gt|quot|apos);/g, (_whole, name: string) => ENTITIES[name])
    .replace(/\s+/g, ' ')
    .trim();
}

const fill = (source: string, params: PromptParams): string =>
  source.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));

/** What is synthesised for one prompt: its text or SSML, placeholders filled in. */
export function promptSource(id: PromptId, language: Language, params: PromptParams = {}): string {
  const entry: PromptEntry = PROMPTS[id];
  return fill(entry[language], params);
}

/** The text of one prompt in one language with its `{placeholders}` filled in (SSML reduced to its words). */
export function promptText(id: PromptId, language: Language, params: PromptParams = {}): string {
  const source = promptSource(id, language, params);
  return isSsml(source) ? ssmlToText(source) : source;
}

/** A prompt with the values known only during this call (`promptRef('id.length', { entered: 12 })`). */
export function promptRef<I extends PromptId>(id: I, values: PerCallValues<I>): PromptRef {
  const query = new URLSearchParams(Object.entries(values as Record<string, string | number>).map(([name, value]) => [name, String(value)]));
  return `${id}?${query.toString()}`;
}

/** Splits a prompt reference into the prompt id and its per-call values (none for a plain id). */
export function parsePromptRef(ref: string): { id: string; values: Record<string, string> } {
  const at = ref.indexOf('?');
  if (at < 0) return { id: ref, values: {} };
  return { id: ref.slice(0, at), values: Object.fromEntries(new URLSearchParams(ref.slice(at + 1))) };
}

/** The per-call values a prompt declares (empty when it has none, i.e. when it can be pre-built as audio). */
export function perCallOf(id: PromptId): Readonly<Record<string, SpokenAs>> {
  return (PROMPTS[id] as PromptEntry).perCall ?? {};
}

/** A per-call value as it is spoken: characters one by one, separated as each language reads a list. */
function spoken(value: string, as: SpokenAs, language: Language): string {
  if (as === 'number') return value;
  return [...value].join(language === 'zh-CN' ? '，' : ', ');
}

/** The text of a prompt reference in one language: per-call values spoken as declared, configured values filled in. */
export function refText(ref: PromptRef | string, language: Language, params: PromptParams = {}): string {
  const { id, values } = parsePromptRef(ref);
  if (!Object.hasOwn(PROMPTS, id)) return '';
  const declared = perCallOf(id as PromptId);
  const perCall = Object.fromEntries(Object.entries(values).filter(([name]) => name in declared).map(([name, value]) => [name, spoken(value, declared[name], language)]));
  return promptText(id as PromptId, language, { ...params, ...perCall });
}
