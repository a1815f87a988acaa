// The agent's directory, swapped atomically as a whole (Kubernetes' AtomicWriter layout): each
// version lives in its own hidden directory, `..data` is a symlink to the current one, and the
// three public names are symlinks through `..data`. Replacing `..data` is one rename(2), so a
// reader never sees a new certificate beside an old key; grpc's file_watcher reads the public
// names (certificate_file, private_key_file, ca_certificate_file) and follows the links.
//
//   DIR/certificate.pem     -> ..data/certificate.pem
//   DIR/private_key.pem     -> ..data/private_key.pem      (0600)
//   DIR/ca_certificate.pem  -> ..data/ca_certificate.pem
//   DIR/sds_identity.json   -> ..data/sds_identity.json      (Envoy's xDS client, sds-files.ts)
//   DIR/sds_trust_bundle.json -> ..data/sds_trust_bundle.json
//   DIR/..data              -> ..2026_01_01T00_00_00Z_ab12cd
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MATERIAL_FILES, TlsMaterial } from '../../../kernel/tls/index.js';
import { SDS_FILES, sdsFileContents } from './sds-files.js';

const DATA = '..data';

export async function writeMaterial(dir: string, m: TlsMaterial, now = new Date()): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const version = `..${now.toISOString().replace(/[-:.]/g, '_')}_${randomBytes(3).toString('hex')}`;
  const vdir = join(dir, version);
  await mkdir(vdir, { mode: 0o700 });
  await writeFile(join(vdir, MATERIAL_FILES.certificate), m.certificateChain, { mode: 0o644 });
  await writeFile(join(vdir, MATERIAL_FILES.privateKey), m.privateKey, { mode: 0o600 });
  await writeFile(join(vdir, MATERIAL_FILES.caCertificate), m.trustBundle, { mode: 0o644 });
  const sds = sdsFileContents(dir);
  await writeFile(join(vdir, SDS_FILES.identity), sds.identity, { mode: 0o644 });
  await writeFile(join(vdir, SDS_FILES.trustBundle), sds.trustBundle, { mode: 0o644 });
  const tmpLink = join(dir, `..data_tmp_${randomBytes(3).toString('hex')}`);
  await symlink(version, tmpLink);
  await rename(tmpLink, join(dir, DATA));
  for (const name of [...Object.values(MATERIAL_FILES), ...Object.values(SDS_FILES)]) {
    const path = join(dir, name);
    const target = join(DATA, name);
    const current = await readlink(path).catch(() => undefined);
    if (current === target) continue;
    // A plain file (or a foreign link) from before: replace it by the link, atomically too.
    const tmp = join(dir, `.${name}.${randomBytes(3).toString('hex')}`);
    await symlink(target, tmp);
    await rename(tmp, path);
  }
  // Old versions go once nothing points at them; a reader holding an open file keeps its inode.
  for (const entry of await readdir(dir)) {
    if (!entry.startsWith('..') || entry === DATA || entry === version) continue;
    await rm(join(dir, entry), { recursive: true, force: true });
  }
}

/** The material in `dir`, or undefined when any of the three files is missing. */
export async function readMaterial(dir: string): Promise<TlsMaterial | undefined> {
  try {
    return TlsMaterial.fromDir(dir);
  } catch {
    return undefined;
  }
}
