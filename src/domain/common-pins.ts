/**
 * Six-digit PINs too common to allow, whatever the pattern rules say. Two sources:
 *
 * 1. The 100 most frequent all-digit six-character entries, in rank order, of the frequency-ranked common-password
 *    list shipped by the npm package `@zxcvbn-ts/language-common` 4.1.3 (`src/passwords.json`, MIT licence; the list
 *    zxcvbn derives from leaked password corpora). Its top entries match the most common six-digit PINs measured by
 *    Markert et al., "This PIN Can Be Easily Guessed" (IEEE S&P 2020): 123456, 654321, 111111, 000000, 123123,
 *    666666, 121212, 112233, 789456, 159753.
 * 2. Numbers with a meaning for Chinese speakers, which those Western lists under-rate: 520 / 521 ("I love you"),
 *    1314 ("for a lifetime"), 168 / 518 / 888 / 666 ("prosperity", "going smoothly"). Wang et al., "Understanding
 *    Human-Chosen PINs: Characteristics, Distribution and Security" (ACM AsiaCCS 2017), found such semantic numbers
 *    among the most frequent PINs in Chinese datasets; the entries here are chosen by us from those patterns.
 *
 * The pattern rules in new-pin.policy.ts (repeats, mirrors, pairs, keypad lines, straight runs) catch many more; a
 * PIN may appear here and match a rule too.
 */
export const COMMON_PINS: ReadonlySet<string> = new Set([
  // 1. @zxcvbn-ts/language-common 4.1.3, src/passwords.json: the first 100 six-digit entries.
  '123456', '111111', '123123', '696969', '666666', '123321', '000000', '112233', '131313', '159753', '123654', '159357',
  '789456', '102030', '315475', '007007', '111222', '147258', '010203', '147852', '123789', '852456', '159951', '134679',
  '124578', '135790', '142536', '741852', '456123', '666999', '246810', '753951', '314159', '141627', '321654', '951753',
  '112358', '911911', '555666', '121314', '456852', '123098', '258456', '102938', '123987', '445566', '987456', '456654',
  '753159', '223344', '906090', '789654', '666777', '123457', '132435', '963852', '000007', '362436', '128500', '789123',
  '321123', '100000', '150781', '222333', '321456', '332211', '420247', '162534', '456321', '000001', '122333', '135246',
  '789987', '200000', '778899', '555777', '112211', '192837', '333666', '777888', '336699', '123451', '235689', '784512',
  '787898', '147369', '654123', '794613', '111333', '369963', '000111', '123455', '120676', '147963', '159632', '010180',
  '123465', '655321', '998877', '147741',
  // 2. Numbers with a meaning in Chinese.
  '520520', '521521', '520521', '521520', '520131', '521314', '201314', '131452', '131420', '147520', '520147',
  '168168', '518518', '516516', '168888', '888168', '666888', '888666', '888999', '999888', '668899', '886688',
  '168899', '518888', '588888', '888518', '886886', '666168', '168666', '110110', '119119', '120120',
]);
