/**
 * src/api.ts, the REST API's types, is generated from openapi.yaml and
 * committed: this fails when the two have drifted apart.
 */
/// <reference types="node" />
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const GENERATED = 'src/api.ts';

describe('src/api.ts', () => {
  it('is what `jlpm build:api` makes of openapi.yaml now', () => {
    const pkg = JSON.parse(
      fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')
    );
    const [bin, ...args] = (pkg.scripts['build:api'] as string).split(/\s+/);
    expect(bin).toBe('openapi-typescript');
    expect(args).toContain(GENERATED);
    // the same command, writing elsewhere
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'smcost-api-'));
    const out = path.join(tmp, 'api.ts');
    execFileSync(
      path.join(ROOT, 'node_modules', '.bin', bin),
      args.map(a => (a === GENERATED ? out : a)),
      { cwd: ROOT, stdio: 'pipe' }
    );
    const fresh = fs.readFileSync(out, 'utf8');
    fs.rmSync(tmp, { recursive: true, force: true });
    const committed = fs.readFileSync(path.join(ROOT, GENERATED), 'utf8');
    if (committed !== fresh) {
      throw new Error(
        `${GENERATED} is stale: openapi.yaml changed since it was generated; run \`jlpm build:api\``
      );
    }
  });
});
