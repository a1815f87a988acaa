// Writes the ModelRoute JSON Schema and CRD from the schema the CLI validates with
// (control-plane/policy/json-schema.ts): `npx tsx deploy/gen-schemas.ts`. A test
// (test/deploy/manifests.test.ts) fails when the files are not what this would write.
import { writeFileSync } from 'node:fs';
import { renderCrdYaml, renderJsonSchema, SCHEMA_FILES } from './schema-files.js';

const root = new URL('..', import.meta.url);
writeFileSync(new URL(SCHEMA_FILES.jsonSchema, root), renderJsonSchema());
writeFileSync(new URL(SCHEMA_FILES.crd, root), renderCrdYaml());
process.stdout.write(`wrote ${SCHEMA_FILES.jsonSchema} and ${SCHEMA_FILES.crd}\n`);
