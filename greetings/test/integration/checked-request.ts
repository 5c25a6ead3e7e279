import { checkEveryAnswer } from '@friendly-calculator/common/testing';
import supertest from 'supertest';
import { greetingsDocument } from '../../src/http/openapi';

/**
 * supertest, with every answer checked against greetings' OpenAPI document
 * (common's checkEveryAnswer): an answer the document does not describe fails
 * the test that received it. Built once: the document does not change.
 */
const document = greetingsDocument();

type Target = Parameters<typeof supertest>[0];

function request(target: Target) {
  return checkEveryAnswer(supertest(target), document);
}
/** A cookie-keeping agent (the admin page's session), checked the same way. */
request.agent = (target: Target) => checkEveryAnswer(supertest.agent(target), document);

export default request;
