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

/**
 * One prompt in both languages; `{name}` marks a value filled in at render time. A text starting with `<speak>`
 * is SSML: synthesised as such, and heard (on `<Say>`) and shown with its tags removed.
 */
export interface PromptEntry {
  'zh-CN': string;
  'en-US': string;
  /** Played in both languages one after the other (the welcome, before a language is chosen). */
  bilingual?: boolean;
}

/** The single source of what callers hear, keyed by prompt id. */
export const PROMPTS = {
  welcome: {
    'zh-CN': '您好，欢迎致电医疗保险密码服务热线。普通话请按1。',
    'en-US': 'Welcome to the medical insurance password hotline. For English, press 2.',
    bilingual: true,
  },
  'main.menu': {
    'zh-CN': '设置或修改社保卡密码，请按1。了解其他重置密码的方式，请按2。了解社会保险政策，请按3。人工服务，请按0。重听，请按星号键。',
    'en-US':
      'To set, reset or change your card password, press 1. To hear other ways to reset a password, press 2. For insurance policy information, press 3. To speak with an agent, press 0. To hear this again, press star.',
  },
  'password.menu': {
    'zh-CN': '忘记密码或首次设置密码，请按1。已知当前密码、需要修改，请按2。返回主菜单，请按9。人工服务，请按0。重听，请按星号键。',
    'en-US':
      'To reset a forgotten password, or to set one for the first time, press 1. To change a password you know, press 2. To return to the main menu, press 9. To speak with an agent, press 0. To hear this again, press star.',
  },
  'id.enter': {
    'zh-CN': '请输入您的18位身份证号码，以井号键结束。最后一位是X的，请按星号键代替。',
    'en-US':
      'Please enter your 18-character citizen ID number, then press the hash key. To enter an X at the end of your number, press star.',
  },
  'id.invalid': {
    'zh-CN': '您输入的身份证号码无效，请核对后重新输入。',
    'en-US': 'That ID number is not valid. Please check it and try again.',
  },
  'verify.menu': {
    'zh-CN': '我们需要核实您的身份。通过预留手机短信接收验证码，请按1。通过预留电子邮箱接收验证码，请按2。如果手机和邮箱都无法使用，请按3。人工服务，请按0。重听，请按星号键。',
    'en-US':
      'We need to confirm who you are. To receive a code by text message on your registered mobile phone, press 1. To receive a code by email at your registered address, press 2. To hear what to do if you have neither, press 3. To speak with an agent, press 0. To hear this again, press star.',
  },
  'verify.neither': {
    'zh-CN': '身份核实只能通过您当初预留的手机或电子邮箱进行。如果两者都无法使用，请携带身份证原件到社会保障局前台办理密码重置。',
    'en-US':
      'We can only confirm who you are through the mobile phone or email address you registered. If you have neither, please bring your original ID card to the front desk of the Social Security Bureau to reset your password.',
  },
  'after.info': {
    'zh-CN': '重听，请按星号键。返回主菜单，请按9。人工服务，请按0。',
    'en-US': 'To hear this again, press star. To return to the main menu, press 9. To speak with an agent, press 0.',
  },
  'code.sent': {
    'zh-CN': '如果您的资料与我们的记录相符，验证码已经发出，{otpMinutes}分钟内有效。',
    'en-US': 'If the details match our records, a code has been sent. It is valid for {otpMinutes} minutes.',
  },
  'code.enter': {
    'zh-CN': '请输入6位验证码，以井号键结束。重新发送验证码，请按9再按井号键。',
    'en-US': 'Please enter the 6-digit code, then press the hash key. To have a new code sent, press 9 and then the hash key.',
  },
  'code.wrong': {
    'zh-CN': '验证码不正确。',
    'en-US': 'That code was not accepted.',
  },
  'current.enter': {
    'zh-CN': '请输入您当前的6位密码，以井号键结束。',
    'en-US': 'Please enter your current 6-digit password, then press the hash key.',
  },
  'current.wrong': {
    'zh-CN': '密码不正确。',
    'en-US': 'That password was not accepted.',
  },
  'verify.failed': {
    'zh-CN': '很抱歉，我们无法核实您的身份。如连续验证失败{lockAfter}次，电话验证将暂停至少{lockMinutes}分钟。请稍后再试，或携带身份证原件到社会保障局前台办理。再见。',
    'en-US':
      'Sorry, we could not confirm who you are. After {lockAfter} failed attempts in a row, telephone verification is paused for at least {lockMinutes} minutes. Please try again later, or bring your original ID card to the front desk of the Social Security Bureau. Goodbye.',
  },
  'card.locked': {
    'zh-CN': '由于验证失败次数过多，为保护您的账户安全，此卡的电话验证已暂停至少{lockMinutes}分钟。您也可以携带身份证原件到社会保障局前台办理。再见。',
    'en-US':
      'There have been too many failed attempts. To protect your card, telephone verification is paused for at least {lockMinutes} minutes. You can also bring your original ID card to the front desk of the Social Security Bureau. Goodbye.',
  },
  'pin.verified': {
    'zh-CN': '身份已核实。',
    'en-US': 'You are verified.',
  },
  'pin.enter': {
    'zh-CN': '请输入新的6位数字密码，以井号键结束。',
    'en-US': 'Please enter your new 6-digit password, then press the hash key.',
  },
  'pin.confirm': {
    'zh-CN': '请再次输入新密码，以井号键结束。',
    'en-US': 'Please enter the new password again, then press the hash key.',
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
    'zh-CN': '您的社保卡密码已设置成功。如您预留了手机或邮箱，我们会发送通知。请妥善保管密码。',
    'en-US':
      'Your card password has been set. If you registered a mobile phone or email, we will send a notice there. Please keep your password in a safe place.',
  },
  'other.ways': {
    'zh-CN':
      '除电话外，还有两种方式重置密码。第一，登录本地社会保障网站，选择忘记密码，按提示通过预留手机或邮箱找回。第二，在医疗保险中心的自助触摸屏上，插入社保卡，按屏幕提示一步步完成。如果预留的手机和邮箱都无法使用，请携带身份证原件到社会保障局前台办理。',
    'en-US':
      'Besides this phone line, there are two other ways to reset a password. One: on your local social security website, choose forgot password, and follow the steps with your registered mobile phone or email. Two: at the touch screens in the medical insurance centre, insert your card and follow the on-screen instructions. If you can use neither your registered mobile nor your email, bring your original ID card to the front desk of the Social Security Bureau.',
  },
  'policy.menu': {
    'zh-CN': '了解养老保险，请按1。了解基本医疗保险，请按2。了解工伤保险，请按3。了解失业保险，请按4。了解生育保险，请按5。返回主菜单，请按9。人工服务，请按0。重听，请按星号键。',
    'en-US':
      'For old-age insurance, press 1. For basic medical insurance, press 2. For work-related injury insurance, press 3. For unemployment insurance, press 4. For maternity insurance, press 5. To return to the main menu, press 9. To speak with an agent, press 0. To hear this again, press star.',
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
    'zh-CN': '重听，请按星号键。返回政策菜单，请按1。返回主菜单，请按9。人工服务，请按0。',
    'en-US': 'To hear this again, press star. To return to the policy menu, press 1. To return to the main menu, press 9. To speak with an agent, press 0.',
  },
  'input.invalid': {
    'zh-CN': '按键无效，请重新选择。',
    'en-US': 'That key is not valid.',
  },
  'input.six-digits': {
    'zh-CN': '请输入完整的6位数字。',
    'en-US': 'Please enter all 6 digits.',
  },
  'input.none': {
    'zh-CN': '抱歉，没有收到您的按键。',
    'en-US': 'Sorry, we did not receive any input.',
  },
  'agent.transfer': {
    'zh-CN': '正在为您转接人工服务，请稍候。',
    'en-US': 'Please hold while we connect you to an agent.',
  },
  'agent.too-many-tries': {
    'zh-CN': '您多次输入未成功，现为您转接人工服务。',
    'en-US': 'It seems you are having trouble, so we will connect you to an agent.',
  },
  'agent.busy': {
    'zh-CN': '很抱歉，人工座席暂时繁忙，请稍后再拨。再见。',
    'en-US': 'Sorry, all our agents are busy. Please call again later. Goodbye.',
  },
  goodbye: {
    'zh-CN': '感谢您的来电，再见。',
    'en-US': 'Thank you for calling. Goodbye.',
  },
  'trouble.apology': {
    'zh-CN': '很抱歉，系统暂时出现故障。人工服务，请按0。重听，请按星号键。您也可以挂机后稍后再拨。',
    'en-US': 'Sorry, we are having a technical problem. To speak with an agent, press 0. To hear this again, press star. Or hang up and call again later.',
  },
} as const satisfies Record<string, PromptEntry>;

/** A prompt id from the catalogue. */
export type PromptId = keyof typeof PROMPTS;

/** Values a prompt may name: `{otpMinutes}`, `{lockMinutes}`, `{lockAfter}`. */
export type PromptParams = Record<string, string | number>;

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
