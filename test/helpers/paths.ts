// Where the tests find the repository and the shared data (SUBJ, the ALBERT v2 tokenizer, configs).
import * as path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** $ALBERT_TRAINER_DATA, else ../shared/data beside the checkout. */
export const SHARED_DATA = process.env.ALBERT_TRAINER_DATA ?? path.resolve(REPO_ROOT, '..', 'shared', 'data');
