import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';

const SCRIPT = path.resolve('scripts/install-test-packages.sh');

/** Stand-ins for dpkg-query, id, sudo and apt-get: a file lists what is installed, apt-get installs into it and logs each call. */
const STUBS: Record<string, string> = {
  'dpkg-query': `#!/bin/sh
for a in "$@"; do pkg="$a"; done
grep -qx "$pkg" "$STUB_DIR/installed" && { printf 'install ok installed'; exit 0; }
echo "dpkg-query: no packages found matching $pkg" >&2; exit 1`,
  id: `#!/bin/sh
echo "$STUB_UID"`,
  sudo: `#!/bin/sh
[ "$STUB_SUDO" = yes ] || { echo "sudo: a password is required" >&2; exit 1; }
[ "$1" = -n ] && shift
echo "sudo $*" >> "$STUB_DIR/calls"
exec "$@"`,
  'apt-get': `#!/bin/sh
echo "apt-get $* (uid $STUB_UID)" >> "$STUB_DIR/calls"
[ "$STUB_APT_FAIL" = yes ] && { echo "E: Unable to locate package" >&2; exit 100; }
if [ "$1" = install ]; then for a in "$@"; do case "$a" in -*|install) ;; *) echo "$a" >> "$STUB_DIR/installed";; esac; done; fi
exit 0`,
};

describe('scripts/install-test-packages.sh (npm pretest)', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pretest-'));
    for (const [name, body] of Object.entries(STUBS)) {
      await writeFile(path.join(dir, name), `${body}\n`);
      await chmod(path.join(dir, name), 0o755);
    }
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const run = async (options: { installed: string[]; uid: number; sudo?: boolean; aptFails?: boolean }) => {
    await writeFile(path.join(dir, 'installed'), options.installed.map((p) => `${p}\n`).join(''));
    await writeFile(path.join(dir, 'calls'), '');
    const result = spawnSync('bash', [SCRIPT], {
      env: { PATH: `${dir}:/usr/bin:/bin`, STUB_DIR: dir, STUB_UID: String(options.uid), STUB_SUDO: options.sudo ? 'yes' : 'no', STUB_APT_FAIL: options.aptFails ? 'yes' : 'no' },
      encoding: 'utf8',
    });
    const calls = (await readFile(path.join(dir, 'calls'), 'utf8')).trim().split('\n').filter(Boolean);
    return { code: result.status, stdout: result.stdout, stderr: result.stderr, calls, installed: (await readFile(path.join(dir, 'installed'), 'utf8')).trim().split('\n') };
  };

  it('says nothing and installs nothing when chromium, fonts-noto-cjk and espeak-ng are all there', async () => {
    const r = await run({ installed: ['chromium', 'fonts-noto-cjk', 'espeak-ng'], uid: 1000 });
    expect(r).to.include({ code: 0, stdout: '', stderr: '' });
    expect(r.calls).to.deep.equal([]);
  });

  it('as root, installs only the missing packages with apt-get', async () => {
    const r = await run({ installed: ['chromium'], uid: 0 });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.contain('installing Debian packages the tests need: fonts-noto-cjk espeak-ng');
    expect(r.calls).to.deep.equal(['apt-get update -qq (uid 0)', 'apt-get install -y -qq --no-install-recommends fonts-noto-cjk espeak-ng (uid 0)']);
    expect(r.installed).to.include.members(['fonts-noto-cjk', 'espeak-ng']);
  });

  it('as another user with passwordless sudo, installs through sudo', async () => {
    const r = await run({ installed: ['fonts-noto-cjk', 'espeak-ng'], uid: 1000, sudo: true });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.calls).to.include('sudo apt-get install -y -qq --no-install-recommends chromium');
  });

  it('fails (not skips) naming the packages and the command when it cannot install them', async () => {
    const r = await run({ installed: ['espeak-ng'], uid: 1000, sudo: false });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain('the tests need the Debian packages chromium fonts-noto-cjk').and.contain('sudo apt-get install --no-install-recommends chromium fonts-noto-cjk');
    expect(r.calls).to.deep.equal([]);
  });

  it('fails with the reason when apt-get cannot install them', async () => {
    const r = await run({ installed: [], uid: 0, aptFails: true });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain('apt-get install chromium fonts-noto-cjk espeak-ng failed').and.contain('Unable to locate package');
  });
});
