// `npm run lint:docs`: every link in README.md and docs/ points at a file
// that exists, and every #anchor at a heading that exists (remark-validate-links,
// offline: it checks the repository, not the web). Nothing there may point
// outside the repository.
import remarkValidateLinks from 'remark-validate-links';

export default { plugins: [[remarkValidateLinks, { repository: false }]] };
