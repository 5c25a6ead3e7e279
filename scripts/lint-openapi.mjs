// `npm run lint:openapi`: each document in docs/openapi/ is a valid OpenAPI
// 3.1 document (@seriousme/openapi-schema-validator, the OpenAPI Initiative's
// own JSON schemas); the services' tests check the answers against them.
import { readdirSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';

const dir = new URL('../docs/openapi/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
let failed = 0;
for (const file of files) {
  const validator = new Validator();
  const result = await validator.validate(new URL(file, dir).pathname);
  if (result.valid && validator.version === '3.1') {
    console.log(`docs/openapi/${file}: valid OpenAPI ${validator.version}`);
  } else {
    failed += 1;
    console.error(`docs/openapi/${file}: NOT valid (version ${validator.version})`);
    console.error(JSON.stringify(result.errors, null, 2));
  }
}
if (files.length === 0) {
  console.error('docs/openapi/ has no documents: run npm run openapi');
  failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
