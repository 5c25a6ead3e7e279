// `npm run openapi`: writes each service's OpenAPI document (the one it serves
// at GET /openapi.json) to docs/openapi/<service>.json, from the built code.
// A test in each service fails while the file there is stale.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const { documentText } = require('../common/dist/openapi.js');

const SERVICES = {
  maths: () => require('../maths/dist/http/openapi.js').mathsDocument(),
  greetings: () => require('../greetings/dist/http/openapi.js').greetingsDocument(),
  'awesome-app': () => require('../awesome-app/dist/http/openapi.js').awesomeAppDocument(),
};

for (const [service, build] of Object.entries(SERVICES)) {
  const file = new URL(`../docs/openapi/${service}.json`, import.meta.url);
  writeFileSync(file, documentText(build()));
  console.log(`wrote docs/openapi/${service}.json`);
}
