import type { Role } from '../domain/supervisor-role.policy.ts';

/** The languages the console speaks; Chinese is the default. */
export const CONSOLE_LANGUAGES = ['zh-CN', 'en-US'] as const;

/** A language of the console. */
export type ConsoleLanguage = (typeof CONSOLE_LANGUAGES)[number];

/** The console's language when a supervisor has not chosen one. */
export const DEFAULT_CONSOLE_LANGUAGE: ConsoleLanguage = 'zh-CN';

/** One text in both console languages. */
export type Bilingual = Record<ConsoleLanguage, string>;

/** True when the value is a console language. */
export function isConsoleLanguage(value: unknown): value is ConsoleLanguage {
  return typeof value === 'string' && (CONSOLE_LANGUAGES as readonly string[]).includes(value);
}

/** Every text of the console's pages, in both languages; `{name}` marks a value filled in. */
export const MESSAGES = {
  'brand': { 'zh-CN': '医保密码热线 · 值班主管', 'en-US': 'Password hotline · supervisors' },
  'nav.dashboard': { 'zh-CN': '今日概览', 'en-US': 'Today' },
  'nav.calls': { 'zh-CN': '通话', 'en-US': 'Calls' },
  'nav.flow': { 'zh-CN': '流程', 'en-US': 'Flow' },
  'nav.callbacks': { 'zh-CN': '回拨', 'en-US': 'Callbacks' },
  'nav.accessLog': { 'zh-CN': '访问日志', 'en-US': 'Access log' },
  'nav.passwordChanges': { 'zh-CN': '密码修改审计', 'en-US': 'Password changes' },
  'audit.title': { 'zh-CN': '密码修改审计', 'en-US': 'Password-change audit' },
  'audit.intro': {
    'zh-CN': '所选时段内开始的通话中修改的密码，最新的在前，并注明来电号码是否为登记手机。按通话索引逐条读取；查看和导出均记入访问日志。',
    'en-US': 'Passwords changed on calls that started in the range, newest first, each saying whether the calling number was the registered mobile. Read call by call through the call index; views and exports are recorded in the access log.',
  },
  'audit.none': { 'zh-CN': '该时段内没有符合条件的密码修改。', 'en-US': 'No matching password changes in this range.' },
  'audit.older': { 'zh-CN': '更早的修改 →', 'en-US': 'Older changes →' },
  'audit.scanned': { 'zh-CN': '本页读取了 {n} 通密码已修改的通话', 'en-US': '{n} password-changed calls read for this page' },
  'callbacks.title': { 'zh-CN': '回拨请求', 'en-US': 'Callbacks' },
  'callbacks.summary': {
    'zh-CN': '待处理的回拨请求 {open} 个，最早的在前。来电号码不保存：请按 CallSid 在运营商的通话记录中回拨。',
    'en-US': '{open} open callback requests, oldest first. The caller\'s number is not stored: ring it back from the call\'s record at the carrier, by its CallSid.',
  },
  'callbacks.requested': { 'zh-CN': '请求时间', 'en-US': 'Requested' },
  'callbacks.due': { 'zh-CN': '应回拨时间', 'en-US': 'Due by' },
  'callbacks.caller': { 'zh-CN': '来电号码', 'en-US': 'Caller' },
  'callbacks.language': { 'zh-CN': '语言', 'en-US': 'Language' },
  'callbacks.reason': { 'zh-CN': '原因', 'en-US': 'Reason' },
  'callbacks.state': { 'zh-CN': '来电所处步骤', 'en-US': 'Where in the call' },
  'callbacks.agentLine': { 'zh-CN': '人工线路', 'en-US': 'Agent line' },
  'callbacks.close': { 'zh-CN': '关闭', 'en-US': 'Close' },
  'callbacks.none': { 'zh-CN': '没有待处理的回拨请求。', 'en-US': 'No open callback requests.' },
  'callbacks.overdue': { 'zh-CN': '已超时', 'en-US': 'overdue' },
  'callbacks.reason.asked': { 'zh-CN': '来电者要求转人工', 'en-US': 'asked for an agent' },
  'callbacks.reason.too-many-tries': { 'zh-CN': '多次无效后转人工', 'en-US': 'too many tries' },
  'callbacks.reason.id-unverifiable': { 'zh-CN': '身份证号无法核验', 'en-US': 'ID number cannot be checked' },
  'callbacks.resolution.called-back': { 'zh-CN': '已回拨', 'en-US': 'called back' },
  'callbacks.resolution.no-answer': { 'zh-CN': '回拨无人接听', 'en-US': 'no answer' },
  'callbacks.resolution.not-needed': { 'zh-CN': '无需回拨', 'en-US': 'not needed' },
  'nav.accounts': { 'zh-CN': '账户', 'en-US': 'Accounts' },
  'nav.main': { 'zh-CN': '主导航', 'en-US': 'Main navigation' },
  'signOut': { 'zh-CN': '退出', 'en-US': 'Sign out' },
  'switchLanguage': { 'zh-CN': 'English', 'en-US': '中文' },
  'switchLanguage.title': { 'zh-CN': 'Show the console in English', 'en-US': '切换为中文界面' },

  'login.title': { 'zh-CN': '登录', 'en-US': 'Sign in' },
  'login.username': { 'zh-CN': '用户名', 'en-US': 'Username' },
  'login.password': { 'zh-CN': '密码', 'en-US': 'Password' },
  'login.submit': { 'zh-CN': '登录', 'en-US': 'Sign in' },
  'login.wrong': { 'zh-CN': '用户名或密码错误。', 'en-US': 'Wrong username or password.' },
  'login.throttled': { 'zh-CN': '登录失败次数过多，请 {wait}后再试。', 'en-US': 'Too many failed sign-ins. Try again in {wait}.' },
  'login.busy': { 'zh-CN': '同时登录的人太多，请稍后再试。', 'en-US': 'Too many sign-ins at once. Try again in a moment.' },
  'wait.minutes': { 'zh-CN': '{n} 分钟', 'en-US': '{n} minutes' },
  'wait.seconds': { 'zh-CN': '{n} 秒', 'en-US': '{n} seconds' },

  'time.zoneHint': { 'zh-CN': '时区 {zone}（{offset}），时间格式如 2026-03-01 16:00', 'en-US': 'Time zone {zone} ({offset}); type times as 2026-03-01 16:00' },
  'time.from': { 'zh-CN': '起始时间', 'en-US': 'From' },
  'time.to': { 'zh-CN': '截止时间', 'en-US': 'To' },
  'time.quick': { 'zh-CN': '快捷范围', 'en-US': 'Quick ranges' },
  'range.last-hour': { 'zh-CN': '最近一小时', 'en-US': 'Last hour' },
  'range.today': { 'zh-CN': '今天', 'en-US': 'Today' },
  'range.yesterday': { 'zh-CN': '昨天', 'en-US': 'Yesterday' },
  'range.last-7-days': { 'zh-CN': '最近 7 天', 'en-US': 'Last 7 days' },

  'any': { 'zh-CN': '全部', 'en-US': 'any' },
  'inProgress': { 'zh-CN': '进行中', 'en-US': 'in progress' },
  'technicalProblem': { 'zh-CN': '技术故障', 'en-US': 'technical problem' },

  'calls.title': { 'zh-CN': '通话', 'en-US': 'Calls' },
  'calls.outcome': { 'zh-CN': '结果', 'en-US': 'Outcome' },
  'calls.caller': { 'zh-CN': '来电号码（后 1–4 位或完整号码）', 'en-US': 'Caller (last 1–4 digits or the full number)' },
  'calls.id': { 'zh-CN': '身份证号（掩码或完整）', 'en-US': 'ID number (masked or full)' },
  'calls.language': { 'zh-CN': '通话语言', 'en-US': 'Call language' },
  'calls.callSid': { 'zh-CN': '通话编号（CallSid）', 'en-US': 'CallSid' },
  'calls.search': { 'zh-CN': '搜索', 'en-US': 'Search' },
  'calls.clear': { 'zh-CN': '清除', 'en-US': 'Clear' },
  'calls.older': { 'zh-CN': '更早的通话 →', 'en-US': 'Older calls →' },
  'calls.newest': { 'zh-CN': '← 最新', 'en-US': '← Newest' },
  'calls.exportCsv': { 'zh-CN': '导出 CSV', 'en-US': 'Export CSV' },
  'calls.started': { 'zh-CN': '开始时间', 'en-US': 'Started' },
  'calls.seconds': { 'zh-CN': '时长（秒）', 'en-US': 'Seconds' },
  'calls.endedIn': { 'zh-CN': '结束于', 'en-US': 'Ended in' },
  'calls.none': { 'zh-CN': '没有符合条件的通话。', 'en-US': 'No calls match.' },

  'call.title': { 'zh-CN': '通话 {callSid}', 'en-US': 'Call {callSid}' },
  'call.started': { 'zh-CN': '开始', 'en-US': 'Started' },
  'call.ended': { 'zh-CN': '结束', 'en-US': 'Ended' },
  'call.caller': { 'zh-CN': '来电号码', 'en-US': 'Caller' },
  'call.id': { 'zh-CN': '身份证号', 'en-US': 'ID' },
  'call.language': { 'zh-CN': '通话语言', 'en-US': 'Language' },
  'call.duration': { 'zh-CN': '时长', 'en-US': 'Duration' },
  'call.carrier': { 'zh-CN': '语音平台', 'en-US': 'Carrier' },
  'call.seconds': { 'zh-CN': '{n} 秒', 'en-US': '{n} s' },
  'call.outcome': { 'zh-CN': '结果', 'en-US': 'Outcome' },
  'call.endedIn': { 'zh-CN': '结束于', 'en-US': 'Ended in' },
  'call.stillInProgress': { 'zh-CN': '仍在进行', 'en-US': 'still in progress' },
  'call.exportJson': { 'zh-CN': '导出时间线（JSON）', 'en-US': 'Export timeline (JSON)' },
  'call.back': { 'zh-CN': '返回通话列表', 'en-US': 'Back to calls' },
  'call.timeline': { 'zh-CN': '时间线', 'en-US': 'Timeline' },
  'call.step': { 'zh-CN': '步骤', 'en-US': 'Step' },
  'call.at': { 'zh-CN': '时间', 'en-US': 'At' },
  'call.event': { 'zh-CN': '事件', 'en-US': 'Event' },
  'call.keys': { 'zh-CN': '按键', 'en-US': 'Keys' },
  'call.entered': { 'zh-CN': '进入的状态', 'en-US': 'States entered' },
  'call.prompts': { 'zh-CN': '播放的提示音（{language}）', 'en-US': 'Prompts played ({language})' },
  'call.secondsInState': { 'zh-CN': '停留秒数', 'en-US': 'Seconds in state' },
  'call.serverMs': { 'zh-CN': '服务器耗时（毫秒）', 'en-US': 'Server ms' },
  'call.stayedIn': { 'zh-CN': '停留在 {state}', 'en-US': 'stayed in {state}' },
  'call.noSteps': { 'zh-CN': '没有记录的步骤。', 'en-US': 'No steps recorded.' },
  'call.lastHeard': { 'zh-CN': '来电者最后听到的', 'en-US': 'What the caller heard last' },
  'call.lastHeard.hangup': { 'zh-CN': '来电者在“{state}”挂断之前听到：', 'en-US': 'Before hanging up in “{state}”, the caller heard:' },
  'call.lastHeard.agentBusy': { 'zh-CN': '人工坐席线路{status}之后，来电者听到：', 'en-US': 'After the agent line was {status}, the caller heard:' },
  'call.lastHeard.nothing': { 'zh-CN': '（没有播放任何提示音）', 'en-US': '(no prompt had been played)' },
  'call.passwordChange': { 'zh-CN': '密码修改', 'en-US': 'Password change' },
  'call.changedAt': { 'zh-CN': '修改时间', 'en-US': 'Changed at' },
  'call.changeStatus': { 'zh-CN': '状态', 'en-US': 'Status' },
  'call.verifiedBy': { 'zh-CN': '验证方式', 'en-US': 'Verified by' },
  'call.card': { 'zh-CN': '卡（身份证号）', 'en-US': 'Card' },
  'call.noChange': { 'zh-CN': '本次通话没有修改密码。', 'en-US': 'No password change on this call.' },
  'call.logs': { 'zh-CN': '日志', 'en-US': 'Log lines' },
  'call.level': { 'zh-CN': '级别', 'en-US': 'Level' },
  'call.message': { 'zh-CN': '消息', 'en-US': 'Message' },
  'call.fields': { 'zh-CN': '字段', 'en-US': 'Fields' },
  'call.noLogs': { 'zh-CN': '本次通话没有保存日志。', 'en-US': 'No log lines stored for this call.' },

  'dashboard.title': { 'zh-CN': '今日概览', 'en-US': 'Today at a glance' },
  'dashboard.intro': {
    'zh-CN': '今天（{from} 起）开始的通话，按计数器统计（来电开始时计入“来电”，结束时计入其余各项，均记在开始的那个小时）。本页每 {seconds} 秒自动刷新，最近刷新：{at}。',
    'en-US': 'Calls that started today (since {from}), from the counters: a call counts in "calls" when it starts and in the rest when it ends, both in the hour it started. This page refreshes itself every {seconds} s; last refreshed {at}.',
  },
  'dashboard.calls': { 'zh-CN': '今日来电', 'en-US': 'Calls today' },
  'dashboard.inProgress': { 'zh-CN': '进行中', 'en-US': 'In progress now' },
  'dashboard.inProgressNote': {
    'zh-CN': '今日来电减去已结束的通话（未收到结束通知的通话在静默关闭前也算在内）',
    'en-US': 'calls today minus those ended (a call whose end never came counts until housekeeping closes it)',
  },
  'dashboard.passwordChanges': { 'zh-CN': '密码已修改', 'en-US': 'Passwords changed' },
  'dashboard.transfers': { 'zh-CN': '转人工', 'en-US': 'Transferred' },
  'dashboard.agentUnavailable': { 'zh-CN': '人工坐席无人接听', 'en-US': 'Agent unavailable' },
  'dashboard.abandons': { 'zh-CN': '中途挂断', 'en-US': 'Abandoned' },
  'dashboard.trouble': { 'zh-CN': '技术故障', 'en-US': 'Technical problems' },
  'dashboard.refusedLocked': { 'zh-CN': '锁定期间被拒', 'en-US': 'Refused while locked' },
  'dashboard.abandonRate': { 'zh-CN': '挂断率', 'en-US': 'Abandon rate' },
  'dashboard.abandonedIn': { 'zh-CN': '挂断最多的步骤', 'en-US': 'Where callers hang up most' },
  'dashboard.abandonedNone': { 'zh-CN': '今天没有中途挂断的通话。', 'en-US': 'No abandoned calls today.' },
  'dashboard.avgHandle': { 'zh-CN': '成功修改密码的平均通话时长', 'en-US': 'Average handle time of a successful reset' },
  'dashboard.apologyRate': { 'zh-CN': '致歉率（技术故障）', 'en-US': 'Apology rate (technical problems)' },
  'dashboard.apologyWarning': {
    'zh-CN': '致歉率 {rate} 已超过警戒值 {limit}：请检查系统日志和运营商状态。',
    'en-US': 'The apology rate {rate} is above the warning level of {limit}: check the logs and the carrier\'s status.',
  },
  'dashboard.ofEnded': { 'zh-CN': '占已结束的 {ended} 通', 'en-US': 'of {ended} ended calls' },
  'dashboard.byHour': { 'zh-CN': '按小时', 'en-US': 'Hour by hour' },
  'dashboard.hour': { 'zh-CN': '小时（开始）', 'en-US': 'Hour (start)' },
  'dashboard.noCalls': { 'zh-CN': '今天还没有来电。', 'en-US': 'No calls yet today.' },
  'dashboard.flowLink': { 'zh-CN': '今日流程与密码流程漏斗', 'en-US': 'Today\'s flow and password journey' },
  'flow.title': { 'zh-CN': '流程', 'en-US': 'Flow' },
  'flow.show': { 'zh-CN': '显示', 'en-US': 'Show' },
  'flow.summary': {
    'zh-CN': '{from} 至 {to} 之间开始的通话共 {calls} 通。状态框和箭头上的数字均为通话数。',
    'en-US': '{calls} calls started between {from} and {to}. Numbers on states and arrows count calls.',
  },
  'flow.funnel': { 'zh-CN': '密码流程漏斗', 'en-US': 'Password journey' },
  'flow.funnel.step': { 'zh-CN': '步骤', 'en-US': 'Step' },
  'flow.funnel.calls': { 'zh-CN': '通话数', 'en-US': 'Calls' },
  'flow.funnel.dropped': { 'zh-CN': '较上一步减少', 'en-US': 'Dropped since previous' },
  'flow.funnel.rate': { 'zh-CN': '占上一步', 'en-US': 'Of previous' },
  'flow.funnel.median': { 'zh-CN': '距上一步用时（中位数）', 'en-US': 'Median time from previous' },
  'funnel.password menu': { 'zh-CN': '进入密码服务', 'en-US': 'password menu' },
  'funnel.identified': { 'zh-CN': '已识别身份', 'en-US': 'identified' },
  'funnel.verified': { 'zh-CN': '已验证', 'en-US': 'verified' },
  'funnel.new PIN accepted': { 'zh-CN': '新密码已接受', 'en-US': 'new PIN accepted' },
  'funnel.saved': { 'zh-CN': '已保存', 'en-US': 'saved' },
  'flow.diagram': { 'zh-CN': '状态图', 'en-US': 'Statechart' },
  'flow.legend': {
    'zh-CN': '状态框：到达该状态的通话数；流失：在该状态挂断或因无按键结束的通话占到达该状态通话的比例；箭头上的数字：走过该转换的通话数（虚线：无通话走过；返回上一步的箭头只在有通话走过时画出）。最下一行是各处都可到达的出口。鼠标悬停可看代码名称。',
    'en-US': 'Boxes: calls that reached the state; drop-off: calls that hung up there or ended there after silence, as a share of the calls that reached it; numbers on arrows: calls that took the transition (dashed: none did; arrows back to an earlier step are drawn only when calls took them). The last row holds the exits reachable from everywhere. Hover for code names.',
  },
  'flow.diagramLabel': { 'zh-CN': '通话流程状态图及通话数', 'en-US': 'Call flow statechart with call counts' },
  'flow.calls': { 'zh-CN': '{n} 通', 'en-US': '{n} calls' },
  'flow.call': { 'zh-CN': '{n} 通', 'en-US': '{n} call' },
  'flow.dropOff': { 'zh-CN': '流失 {n}（{pct}）', 'en-US': 'drop-off {n} ({pct})' },
  'flow.exit.agent': { 'zh-CN': '转人工 {n}', 'en-US': 'to agent {n}' },
  'flow.exit.agentAfterTrouble': { 'zh-CN': '多次无效转人工 {n}', 'en-US': 'too many tries {n}' },
  'flow.exit.noInputGoodbye': { 'zh-CN': '无按键结束 {n}', 'en-US': 'silent {n}' },
  'flow.exit.hungUp': { 'zh-CN': '挂断 {n}', 'en-US': 'hung up {n}' },
  'flow.group.policy': { 'zh-CN': '政策信息（社会保险法五条）', 'en-US': 'Policy information (five articles)' },
  'flow.endings': { 'zh-CN': '通话结束位置', 'en-US': 'Where calls ended' },
  'flow.endings.state': { 'zh-CN': '状态', 'en-US': 'State' },
  'flow.endings.outcome': { 'zh-CN': '结果', 'en-US': 'Outcome' },
  'flow.endings.calls': { 'zh-CN': '通话数', 'en-US': 'Calls' },
  'flow.endings.none': { 'zh-CN': '此时间范围内没有通话。', 'en-US': 'No calls in this range.' },

  'access.title': { 'zh-CN': '访问日志', 'en-US': 'Access log' },
  'access.intro': {
    'zh-CN': '谁查看了哪通电话、谁按哪个号码或身份证号搜索、谁导出了什么。号码和身份证号只以掩码形式保存和显示。',
    'en-US': 'Who looked at which call, who searched for which number or ID, who exported what. Numbers and IDs are stored and shown masked only.',
  },
  'access.supervisor': { 'zh-CN': '主管账号', 'en-US': 'Supervisor' },
  'access.what': { 'zh-CN': '操作', 'en-US': 'What' },
  'access.filter': { 'zh-CN': '筛选', 'en-US': 'Filter' },
  'access.at': { 'zh-CN': '时间', 'en-US': 'At' },
  'access.role': { 'zh-CN': '角色', 'en-US': 'Role' },
  'access.how': { 'zh-CN': '方式', 'en-US': 'How' },
  'access.call': { 'zh-CN': '通话', 'en-US': 'Call' },
  'access.subject': { 'zh-CN': '搜索对象', 'en-US': 'Searched for' },
  'access.detail': { 'zh-CN': '详情', 'en-US': 'Details' },
  'access.none': { 'zh-CN': '没有符合条件的记录。', 'en-US': 'No entries match.' },
  'access.shown': { 'zh-CN': '显示最新的 {n} 条记录。', 'en-US': 'Showing the newest {n} entries.' },
  'access.truncated': {
    'zh-CN': '只读取了 {scanned} 条记录（回溯到 {until}）；请缩小时间范围或筛选条件以查看更早的记录。',
    'en-US': 'Read {scanned} entries (back to {until}); narrow the time range or filters to see older ones.',
  },
  'access.exportCsv': { 'zh-CN': '导出 CSV', 'en-US': 'Export CSV' },

  'accounts.title': { 'zh-CN': '账户', 'en-US': 'Accounts' },
  'accounts.intro': {
    'zh-CN': '新账户用命令 npm run supervisor:add -- <用户名> --role <角色> 创建。角色：值班主管（搜索、时间线、流程）；审计员（另可看访问日志）；管理员（另可管理账户）。',
    'en-US': 'Create accounts with npm run supervisor:add -- <username> --role <role>. Roles: supervisor (search, timelines, flow); auditor (also the access log); admin (also accounts).',
  },
  'accounts.username': { 'zh-CN': '用户名', 'en-US': 'Username' },
  'accounts.role': { 'zh-CN': '角色', 'en-US': 'Role' },
  'accounts.language': { 'zh-CN': '界面语言', 'en-US': 'Console language' },
  'accounts.created': { 'zh-CN': '创建时间', 'en-US': 'Created' },
  'accounts.passwordSet': { 'zh-CN': '密码设置时间', 'en-US': 'Password set' },
  'accounts.save': { 'zh-CN': '保存', 'en-US': 'Save' },
  'accounts.self': { 'zh-CN': '（自己的角色不能修改）', 'en-US': '(you cannot change your own role)' },

  'nav.cards': { 'zh-CN': '卡片', 'en-US': 'Cards' },
  'cards.title': { 'zh-CN': '卡片查询', 'en-US': 'Find a card' },
  'cards.intro': {
    'zh-CN': '输入完整身份证号直接打开卡片；掩码形式（如 1101**********002X）可能对应多张卡，只列出最近 90 天内来过电话的卡。每次查询都记入访问日志。',
    'en-US': 'A full ID number opens the card; the masked form (1101**********002X) can match several cards, so it lists those that called in the last 90 days. Every look-up is recorded in the access log.',
  },
  'cards.find': { 'zh-CN': '查询', 'en-US': 'Find' },
  'cards.matches': { 'zh-CN': '与 {masked} 相符的卡片', 'en-US': 'Cards matching {masked}' },
  'cards.matchesIntro': { 'zh-CN': '按最近一次来电排序。未来过电话的卡只能用完整身份证号查询。', 'en-US': 'Newest call first. A card that never called can only be found by its full number.' },
  'cards.lastCall': { 'zh-CN': '最近来电', 'en-US': 'Last call' },
  'cards.lastCaller': { 'zh-CN': '最近来电号码', 'en-US': 'Last caller' },
  'cards.callCount': { 'zh-CN': '来电次数（90 天）', 'en-US': 'Calls (90 days)' },
  'cards.noMatches': { 'zh-CN': '最近 90 天没有这个掩码号码的来电；请输入完整身份证号。', 'en-US': 'No calls under this masked number in the last 90 days; type the full number.' },
  'card.title': { 'zh-CN': '卡片 {id}', 'en-US': 'Card {id}' },
  'card.unlocked': { 'zh-CN': '已解除锁定，并已记入访问日志。', 'en-US': 'Unlocked, and recorded in the access log.' },
  'card.registered': { 'zh-CN': '登记状态', 'en-US': 'Registered' },
  'card.registered.yes': { 'zh-CN': '已登记', 'en-US': 'yes' },
  'card.registered.no': { 'zh-CN': '未登记（系统中没有这张卡的持卡人）', 'en-US': 'no (no card holder on record for this number)' },
  'card.state': { 'zh-CN': '当前状态', 'en-US': 'Now' },
  'card.mobile': { 'zh-CN': '登记手机', 'en-US': 'Registered mobile' },
  'card.email': { 'zh-CN': '登记邮箱', 'en-US': 'Registered email' },
  'card.password': { 'zh-CN': '密码', 'en-US': 'Password' },
  'card.password.set': { 'zh-CN': '已设置', 'en-US': 'set' },
  'card.password.unset': { 'zh-CN': '未设置', 'en-US': 'not set' },
  'card.passwordSetAt': { 'zh-CN': '最近修改', 'en-US': 'Last changed' },
  'card.locksNow': { 'zh-CN': '当前锁定与失败次数', 'en-US': 'Locks and failures now' },
  'card.factor': { 'zh-CN': '验证方式', 'en-US': 'Factor' },
  'card.lock': { 'zh-CN': '锁定', 'en-US': 'Lock' },
  'card.failuresInRun': { 'zh-CN': '连续失败（达到上限即锁定）', 'en-US': 'Failures in a row (the limit locks)' },
  'card.failuresToday': { 'zh-CN': '今日失败（UTC 日）', 'en-US': 'Failures today (UTC day)' },
  'card.notLocked': { 'zh-CN': '未锁定', 'en-US': 'not locked' },
  'card.lockedUntil': { 'zh-CN': '锁定至 {until}', 'en-US': 'locked until {until}' },
  'card.lockedSince': { 'zh-CN': '自 {at} 起', 'en-US': 'since {at}' },
  'card.dailyCapUntil': { 'zh-CN': '当天错误次数已用完，暂停至 {until}', 'en-US': 'the day\'s failures used up, paused until {until}' },
  'card.unlockAdminOnly': { 'zh-CN': '只有管理员可以提前解除锁定。', 'en-US': 'Only an admin can lift a lock early.' },
  'card.unlockReason': { 'zh-CN': '解除锁定的原因（必填，记入访问日志）', 'en-US': 'Reason for unlocking (required, recorded in the access log)' },
  'card.unlockHint': {
    'zh-CN': '解除后，该卡的失败计数重新开始；当天错误次数上限（如已用完）在 UTC 午夜前仍然有效。',
    'en-US': 'Unlocking starts a fresh run of failures; the day\'s cap of failures, if used up, still holds until midnight UTC.',
  },
  'card.unlock': { 'zh-CN': '解除锁定', 'en-US': 'Unlock' },
  'card.lockHistory': { 'zh-CN': '锁定记录', 'en-US': 'Lock history' },
  'card.lockedAt': { 'zh-CN': '锁定时间', 'en-US': 'Locked at' },
  'card.until': { 'zh-CN': '锁定至', 'en-US': 'Until' },
  'card.byCall': { 'zh-CN': '通话', 'en-US': 'Call' },
  'card.lifted': { 'zh-CN': '提前解除', 'en-US': 'Lifted early' },
  'card.liftedBy': { 'zh-CN': '{by} 于 {at} 解除', 'en-US': 'by {by} at {at}' },
  'card.noLocks': { 'zh-CN': '这张卡没有锁定记录。', 'en-US': 'This card has never been locked.' },
  'card.moreLocks': { 'zh-CN': '更早的锁定记录未读取。', 'en-US': 'Older locks were not read.' },
  'card.codes': { 'zh-CN': '已发送的验证码', 'en-US': 'Codes sent' },
  'card.codesIntro': { 'zh-CN': '下列通话中发送的验证码（只显示时间、方式和掩码地址，不显示验证码本身）。', 'en-US': 'Codes sent on the calls below (time, channel and masked address only; never the code).' },
  'card.sentAt': { 'zh-CN': '发送时间', 'en-US': 'Sent' },
  'card.channel': { 'zh-CN': '方式', 'en-US': 'Channel' },
  'card.sentTo': { 'zh-CN': '发送至', 'en-US': 'To' },
  'card.codeStatus': { 'zh-CN': '状态', 'en-US': 'Status' },
  'card.entries': { 'zh-CN': '已核对的输入次数', 'en-US': 'Entries checked' },
  'card.noCodes': { 'zh-CN': '这些通话没有发送验证码。', 'en-US': 'No codes were sent on these calls.' },
  'card.code.used': { 'zh-CN': '已使用', 'en-US': 'used' },
  'card.code.void': { 'zh-CN': '已作废', 'en-US': 'void' },
  'card.code.expired': { 'zh-CN': '已过期', 'en-US': 'expired' },
  'card.code.open': { 'zh-CN': '有效', 'en-US': 'open' },
  'card.passwordChanges': { 'zh-CN': '密码修改记录（最近 90 天）', 'en-US': 'Password changes (last 90 days)' },
  'card.noChanges': { 'zh-CN': '最近 90 天没有通过电话修改密码。', 'en-US': 'No password changes by phone in the last 90 days.' },
  'card.calls': { 'zh-CN': '这张卡的通话（最近 90 天）', 'en-US': 'Calls for this card (last 90 days)' },
  'card.noCalls': { 'zh-CN': '最近 90 天没有关于这张卡的通话。', 'en-US': 'No calls about this card in the last 90 days.' },
  'call.openCard': { 'zh-CN': '查看这张卡', 'en-US': 'Open the card' },

  'refused.locked': { 'zh-CN': '拒绝：卡已锁定至 {until}', 'en-US': 'refused: card locked until {until}' },
  'refused.daily-cap': { 'zh-CN': '拒绝：当天错误次数已用完，暂停至 {until}', 'en-US': 'refused: the day\'s failures used up, paused until {until}' },
  'refused.code-void': { 'zh-CN': '拒绝：验证码已作废（错误次数用完）', 'en-US': 'refused: the code is void (its wrong entries used up)' },
  'refused.no-open-code': { 'zh-CN': '拒绝：没有有效的验证码（已过期、已使用或被新码取代）', 'en-US': 'refused: no open code (expired, used or replaced)' },
  'refused.unchecked': {
    'zh-CN': '输入的{factor}未经核对；来电者听到的与输入错误时相同。',
    'en-US': 'The {factor} entered was not checked; the caller heard the same as for a wrong entry.',
  },
  'call.callerMatch': { 'zh-CN': '来电号码与登记手机', 'en-US': 'Calling number' },
  'match.yes': { 'zh-CN': '一致（来电号码即登记手机）', 'en-US': 'the registered mobile' },
  'match.no': { 'zh-CN': '不一致（来电号码不是登记手机）', 'en-US': 'not the registered mobile' },
  'match.unknown': { 'zh-CN': '无法判断（未登记手机、号码隐藏或旧记录）', 'en-US': 'unknown (no mobile registered, number withheld, or an older record)' },

  'error.title': { 'zh-CN': '错误 {status}', 'en-US': 'Error {status}' },
  'error.400': { 'zh-CN': '请求有误', 'en-US': 'Bad request' },
  'error.401': { 'zh-CN': '请先登录', 'en-US': 'Sign in first' },
  'error.403': { 'zh-CN': '无权访问', 'en-US': 'Not allowed' },
  'error.404': { 'zh-CN': '未找到', 'en-US': 'Not found' },
  'error.429': { 'zh-CN': '请求过多', 'en-US': 'Too many requests' },
  'error.500': { 'zh-CN': '内部错误', 'en-US': 'Internal error' },
  'error.503': { 'zh-CN': '控制台繁忙', 'en-US': 'Console busy' },
  'error.forbidden': {
    'zh-CN': '此功能需要“{needed}”角色；您当前的角色是“{role}”。如需权限请联系管理员。',
    'en-US': 'This needs the {needed} role; you are signed in as {role}. Ask an admin if you need it.',
  },
  'error.back': { 'zh-CN': '返回通话列表', 'en-US': 'Back to calls' },
} as const satisfies Record<string, Bilingual>;

/** A key of the console's message catalogue. */
export type MessageKey = keyof typeof MESSAGES;

/** A console text in a language, with `{name}` placeholders filled in (values are not escaped here). */
export function msg(language: ConsoleLanguage, key: MessageKey, params: Record<string, string | number> = {}): string {
  return MESSAGES[key][language].replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** Every state of the call machine as supervisors read it (the code name goes in a tooltip). */
export const STATE_LABELS: Record<string, Bilingual> = {
  welcome: { 'zh-CN': '欢迎（选择语言）', 'en-US': 'Welcome (language)' },
  mainMenu: { 'zh-CN': '主菜单', 'en-US': 'Main menu' },
  passwordMenu: { 'zh-CN': '密码设置菜单', 'en-US': 'Password menu' },
  confirmIdEnding: { 'zh-CN': '核对身份证号尾号', 'en-US': 'Read back the ID ending' },
  callbackOffer: { 'zh-CN': '提供回拨', 'en-US': 'Callback offer' },
  queueingCallback: { 'zh-CN': '登记回拨', 'en-US': 'Queueing the callback' },
  transferred: { 'zh-CN': '已转接人工', 'en-US': 'Put through to an agent' },
  callbackQueued: { 'zh-CN': '已登记回拨', 'en-US': 'Callback queued' },
  callbackExists: { 'zh-CN': '已有回拨请求', 'en-US': 'Callback already requested' },
  agentUnavailable: { 'zh-CN': '人工坐席忙或未接', 'en-US': 'Agent line busy or unanswered' },
  otherWays: { 'zh-CN': '其他重置方式', 'en-US': 'Other ways to reset' },
  policyMenu: { 'zh-CN': '政策信息菜单', 'en-US': 'Policy menu' },
  policyArticle12: { 'zh-CN': '第十二条（养老保险）', 'en-US': 'Art. 12 (old-age)' },
  policyArticle23: { 'zh-CN': '第二十三条（医疗保险）', 'en-US': 'Art. 23 (medical)' },
  policyArticle35: { 'zh-CN': '第三十五条（工伤保险）', 'en-US': 'Art. 35 (work injury)' },
  policyArticle44: { 'zh-CN': '第四十四条（失业保险）', 'en-US': 'Art. 44 (unemployment)' },
  policyArticle53: { 'zh-CN': '第五十三条（生育保险）', 'en-US': 'Art. 53 (maternity)' },
  enterId: { 'zh-CN': '输入身份证号', 'en-US': 'Enter ID number' },
  identifying: { 'zh-CN': '核对身份证号', 'en-US': 'Looking up the ID' },
  chooseChannel: { 'zh-CN': '选择验证方式', 'en-US': 'Choose verification' },
  noContactGuidance: { 'zh-CN': '无手机无邮箱：柜台指引', 'en-US': 'No phone or email: counter' },
  sendingCode: { 'zh-CN': '发送验证码', 'en-US': 'Sending a code' },
  enterCode: { 'zh-CN': '输入验证码', 'en-US': 'Enter the code' },
  verifyingCode: { 'zh-CN': '核验验证码', 'en-US': 'Checking the code' },
  enterCurrentPin: { 'zh-CN': '输入原密码', 'en-US': 'Enter current password' },
  verifyingCurrentPin: { 'zh-CN': '核验原密码', 'en-US': 'Checking current password' },
  enterNewPin: { 'zh-CN': '输入新密码', 'en-US': 'Enter new password' },
  screeningNewPin: { 'zh-CN': '检查新密码', 'en-US': 'Screening new password' },
  confirmNewPin: { 'zh-CN': '再次输入新密码', 'en-US': 'Confirm new password' },
  committingNewPin: { 'zh-CN': '保存新密码', 'en-US': 'Saving new password' },
  trouble: { 'zh-CN': '技术故障致歉', 'en-US': 'Technical problem apology' },
  passwordChanged: { 'zh-CN': '密码已修改', 'en-US': 'Password changed' },
  agent: { 'zh-CN': '转人工', 'en-US': 'To an agent' },
  agentAfterTrouble: { 'zh-CN': '转人工（多次无效）', 'en-US': 'To an agent (too many tries)' },
  goodbye: { 'zh-CN': '再见', 'en-US': 'Goodbye' },
  noInputGoodbye: { 'zh-CN': '无按键结束', 'en-US': 'Ended after silence' },
  verificationFailed: { 'zh-CN': '验证失败结束', 'en-US': 'Verification failed' },
  cardLocked: { 'zh-CN': '卡已锁定', 'en-US': 'Card locked' },
  abandoned: { 'zh-CN': '来电者挂断', 'en-US': 'Caller hung up' },
};

/** Every event a call's timeline or diagram names: the telephony events and the results of a state's check. */
export const EVENT_LABELS: Record<string, Bilingual> = {
  CALL_START: { 'zh-CN': '来电接通', 'en-US': 'call answered' },
  DIGITS: { 'zh-CN': '按键', 'en-US': 'keys pressed' },
  NO_INPUT: { 'zh-CN': '无按键', 'en-US': 'no key pressed' },
  HANGUP: { 'zh-CN': '挂断', 'en-US': 'hung up' },
  DIAL_RESULT: { 'zh-CN': '人工线路结果', 'en-US': 'agent line result' },
  done: { 'zh-CN': '检查完成', 'en-US': 'check finished' },
  error: { 'zh-CN': '检查出错', 'en-US': 'check failed' },
};

/** Every outcome a call can have, as stored, plus the console's `error` (technical problem) and `in-progress`. */
export const OUTCOME_LABELS: Record<string, Bilingual> = {
  'password-changed': { 'zh-CN': '密码已修改', 'en-US': 'password changed' },
  'locked': { 'zh-CN': '卡已锁定', 'en-US': 'card locked' },
  'transferred': { 'zh-CN': '已转人工', 'en-US': 'transferred to an agent' },
  'agent-unavailable': { 'zh-CN': '人工坐席忙或未接', 'en-US': 'agent line busy or unanswered' },
  'callback-requested': { 'zh-CN': '已登记回拨', 'en-US': 'callback requested' },
  'abandoned': { 'zh-CN': '中途挂断', 'en-US': 'caller hung up' },
  'goodbye': { 'zh-CN': '正常结束', 'en-US': 'goodbye' },
  'no-input': { 'zh-CN': '无按键结束', 'en-US': 'ended after silence' },
  'verification-failed': { 'zh-CN': '验证失败', 'en-US': 'verification failed' },
  'error': { 'zh-CN': '技术故障', 'en-US': 'technical problem' },
  'refused-locked': { 'zh-CN': '锁定期间被拒', 'en-US': 'refused while locked' },
  'in-progress': { 'zh-CN': '进行中', 'en-US': 'in progress' },
};

/** The console roles. */
export const ROLE_LABELS: Record<Role, Bilingual> = {
  supervisor: { 'zh-CN': '值班主管', 'en-US': 'supervisor' },
  auditor: { 'zh-CN': '审计员', 'en-US': 'auditor' },
  admin: { 'zh-CN': '管理员', 'en-US': 'admin' },
};

/** The languages of a call (what the caller chose), as supervisors read them. */
export const CALL_LANGUAGE_LABELS: Record<string, Bilingual> = {
  'zh-CN': { 'zh-CN': '普通话', 'en-US': 'Mandarin' },
  'en-US': { 'zh-CN': '英语', 'en-US': 'English' },
};

/** How a caller proved who they were, and what became of a password-change record. */
export const CHANGE_LABELS: Record<string, Bilingual> = {
  'sms': { 'zh-CN': '短信验证码', 'en-US': 'code by SMS' },
  'email': { 'zh-CN': '邮件验证码', 'en-US': 'code by email' },
  'current-password': { 'zh-CN': '原密码', 'en-US': 'current password' },
  'done': { 'zh-CN': '已完成', 'en-US': 'done' },
  'pending': { 'zh-CN': '处理中', 'en-US': 'pending' },
  'failed': { 'zh-CN': '失败', 'en-US': 'failed' },
};

/** What a caller proves, each counted and locked on its own. */
export const FACTOR_LABELS: Record<string, Bilingual> = {
  'current-password': { 'zh-CN': '原密码', 'en-US': 'current password' },
  'code': { 'zh-CN': '验证码', 'en-US': 'one-time code' },
};

/** Twilio's statuses of an agent line that did not connect. */
export const DIAL_STATUS_LABELS: Record<string, Bilingual> = {
  'busy': { 'zh-CN': '占线', 'en-US': 'busy' },
  'no-answer': { 'zh-CN': '无人接听', 'en-US': 'not answered' },
  'failed': { 'zh-CN': '接通失败', 'en-US': 'failed' },
  'canceled': { 'zh-CN': '已取消', 'en-US': 'cancelled' },
};

/** What the access log records, and how it was done. */
export const ACCESS_LABELS: Record<string, Bilingual> = {
  'view-call': { 'zh-CN': '查看通话', 'en-US': 'viewed a call' },
  'view-card': { 'zh-CN': '查看卡片', 'en-US': 'viewed a card' },
  'unlock-card': { 'zh-CN': '解除卡片锁定', 'en-US': 'unlocked a card' },
  'view-password-changes': { 'zh-CN': '查看密码修改审计', 'en-US': 'viewed the password-change audit' },
  'export-password-changes': { 'zh-CN': '导出密码修改审计（CSV）', 'en-US': 'exported the password-change audit (CSV)' },
  'search': { 'zh-CN': '按号码或身份证号搜索', 'en-US': 'searched by number or ID' },
  'export-calls': { 'zh-CN': '导出通话（CSV）', 'en-US': 'exported calls (CSV)' },
  'export-access-log': { 'zh-CN': '导出访问日志（CSV）', 'en-US': 'exported the access log (CSV)' },
  'change-role': { 'zh-CN': '修改账户角色', 'en-US': 'changed an account role' },
  'page': { 'zh-CN': '页面', 'en-US': 'page' },
  'api': { 'zh-CN': '接口', 'en-US': 'API' },
  'json': { 'zh-CN': 'JSON 文件', 'en-US': 'JSON file' },
  'csv': { 'zh-CN': 'CSV 文件', 'en-US': 'CSV file' },
};

/** A code name in words from one of the label tables; the code itself when it has no label. */
export function labelOf(table: Record<string, Bilingual>, language: ConsoleLanguage, code: string): string {
  return Object.hasOwn(table, code) ? table[code][language] : code;
}
