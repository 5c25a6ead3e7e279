import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ejs from 'ejs';
import { styleHref, VIEWS } from './admin-page';

export type SignInNotice = { kind: 'thanks' | 'sorry'; message: string };

const FILE = join(VIEWS, 'sign-in.ejs');
// Compiled once, as the admin page's views are (no `with` block).
let template: ejs.TemplateFunction | undefined;

/** The admin page's sign-in: one password field, nothing echoed back into the page. */
export function signInPage({ notice }: { notice: SignInNotice | undefined }): string {
  template ??= ejs.compile(readFileSync(FILE, 'utf8'), {
    filename: FILE,
    root: VIEWS,
    _with: false,
    destructuredLocals: ['notice', 'styleHref'],
  });
  return template({ notice, styleHref: styleHref() });
}
