import { createHash } from 'node:crypto';
import { expect } from 'chai';
import {
  dirHash1,
  GO_MINIMUM_VERSION,
  goPlatform,
  isGoAtLeast,
  moduleProxyBase,
  parseGoVersion,
  sumDbHash,
  toolchainModuleVersion,
} from '../../src/storage/go-toolchain.ts';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

// sum.golang.org's answer to /lookup/golang.org/toolchain@v0.0.1-go1.24.3.linux-amd64 (as served through proxy.golang.org).
const recordedLookup = `36925237
golang.org/toolchain v0.0.1-go1.24.3.linux-amd64 h1:Q/mjT/SnwTC6ul3pBoqVQHTfd50K5MlPITmS5PmsXxw=
golang.org/toolchain v0.0.1-go1.24.3.linux-amd64/go.mod h1:8wlg68NqwW7eMnI1aABk/C2pDYXj8mrMY4TyRfiLeS0=

go.sum database tree
66332798
czPocWFmMwQrSENohgEPvFiqA+2i/3lRZhHbxtma2UQ=

— sum.golang.org Az3grh19zTBOmg0dGOAELF5SP1N/QTSsuYwquERee13uccsbttgwVlS/0MhlHd7IEvb6fQVKmu7XFovf0PT1tKOnHQo=
`;

describe('Go toolchain for the FerretDB build', function () {
  it('a module zip hashes to the h1 value Go itself computes (golang.org/x/mod dirhash.Hash1), whatever the file order', function () {
    // The expected value was produced by golang.org/x/mod/sumdb/dirhash.Hash1 over these three files.
    const files = [
      { name: 'example.com/m@v1.0.0/m.go', sha256: sha256('package m\n') },
      { name: 'example.com/m@v1.0.0/go.mod', sha256: sha256('module example.com/m\n') },
      { name: 'example.com/m@v1.0.0/LICENSE', sha256: sha256('MIT\n') },
    ];
    expect(dirHash1(files)).to.equal('h1:5lNmWtLLdgk7RJ783GlZWNFjTWZPf/cS1KAK7Z/TDpE=');
    expect(dirHash1([...files].reverse())).to.equal('h1:5lNmWtLLdgk7RJ783GlZWNFjTWZPf/cS1KAK7Z/TDpE=');
    expect(dirHash1([{ ...files[0]!, sha256: sha256('package n\n') }, files[1]!, files[2]!])).to.not.equal(
      'h1:5lNmWtLLdgk7RJ783GlZWNFjTWZPf/cS1KAK7Z/TDpE=',
    );
  });

  it("the checksum database's answer gives the zip's h1, not the go.mod line's", function () {
    const version = toolchainModuleVersion('1.24.3', 'linux', 'amd64');
    expect(version).to.equal('v0.0.1-go1.24.3.linux-amd64');
    expect(sumDbHash(recordedLookup, 'golang.org/toolchain', version)).to.equal('h1:Q/mjT/SnwTC6ul3pBoqVQHTfd50K5MlPITmS5PmsXxw=');
    expect(sumDbHash(recordedLookup, 'golang.org/toolchain', 'v0.0.1-go1.24.3.darwin-arm64')).to.equal(undefined);
  });

  it('a go on PATH is kept from 1.24 on and replaced when older or unrecognised', function () {
    expect(parseGoVersion('go version go1.26.8 linux/amd64')).to.equal('1.26.8');
    expect(parseGoVersion('go version go1.24 darwin/arm64')).to.equal('1.24');
    expect(parseGoVersion('go version devel +abc123 linux/amd64')).to.equal(undefined);
    expect(isGoAtLeast('1.24', GO_MINIMUM_VERSION)).to.equal(true);
    expect(isGoAtLeast('1.24.0', GO_MINIMUM_VERSION)).to.equal(true);
    expect(isGoAtLeast('1.26.8', GO_MINIMUM_VERSION)).to.equal(true);
    expect(isGoAtLeast('2.0', GO_MINIMUM_VERSION)).to.equal(true);
    expect(isGoAtLeast('1.23.9', GO_MINIMUM_VERSION)).to.equal(false);
    expect(isGoAtLeast('1.3', GO_MINIMUM_VERSION)).to.equal(false);
  });

  it("Node's platform and architecture map to Go's, and other platforms are refused", function () {
    expect(goPlatform('linux', 'x64')).to.deep.equal({ goos: 'linux', goarch: 'amd64' });
    expect(goPlatform('darwin', 'arm64')).to.deep.equal({ goos: 'darwin', goarch: 'arm64' });
    expect(goPlatform('win32', 'x64')).to.equal(undefined);
    expect(goPlatform('linux', 'ia32')).to.equal(undefined);
  });

  it("the toolchain comes from GOPROXY's first http(s) entry, else from proxy.golang.org", function () {
    expect(moduleProxyBase(undefined)).to.equal('https://proxy.golang.org');
    expect(moduleProxyBase('')).to.equal('https://proxy.golang.org');
    expect(moduleProxyBase('direct')).to.equal('https://proxy.golang.org');
    expect(moduleProxyBase('https://goproxy.example/,direct')).to.equal('https://goproxy.example');
    expect(moduleProxyBase('off|http://mirror.internal:3000/go|https://proxy.golang.org')).to.equal('http://mirror.internal:3000/go');
  });
});
