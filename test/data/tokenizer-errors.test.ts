// AlbertTokenizer's errors: bad arguments to encode/encodeBatch (ERR_ARGUMENT) and tokenizer folders
// that cannot load (ERR_IO, ERR_CONFIG naming the file). No Python: what HF gives is in
// tokenizer-hf.test.ts.
import * as fs from 'fs';
import * as path from 'path';
import { AlbertTokenizer } from '../../ts/data/tokenizer';
import { AlbertTrainerError } from '../../ts/errors';
import { TOKENIZER_DIR, tokenizerFolders } from '../helpers/tokenizer-folders';


const folders = tokenizerFolders();
const tmpRoot = folders.root;
const makeDir = folders.make;

let tokenizers: { main: AlbertTokenizer };

beforeAll(async () => {
  tokenizers = { main: await AlbertTokenizer.fromDirectory(TOKENIZER_DIR) };
});

afterAll(() => {
  folders.remove();
});

describe('AlbertTokenizer', () => {
  describe('errors', () => {
    const expectError = (fn: () => unknown, code: string, message: string | RegExp): void => {
      let caught: unknown;
      try {
        fn();
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(AlbertTrainerError);
      expect((caught as AlbertTrainerError).code).toBe(code);
      expect((caught as AlbertTrainerError).message).toMatch(message);
    };
    const expectLoadError = async (dir: unknown, code: string, message: string | RegExp): Promise<void> => {
      const err = await AlbertTokenizer.fromDirectory(dir as string).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AlbertTrainerError);
      expect((err as AlbertTrainerError).code).toBe(code);
      expect((err as AlbertTrainerError).message).toMatch(message);
    };
    const escape = (s: string): RegExp => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

    test('non-string text or pair -> ERR_ARGUMENT', () => {
      const tok = tokenizers.main;
      expectError(() => tok.encode(42 as unknown as string), 'ERR_ARGUMENT', 'Expected string for text but received 42 of type number');
      expectError(() => tok.encode(undefined as unknown as string), 'ERR_ARGUMENT', 'Expected string for text but received undefined');
      expectError(() => tok.encode('a', null as unknown as string), 'ERR_ARGUMENT', 'Expected string for pair but received null');
      expectError(() => tok.encodeBatch(['a', 7 as unknown as string]), 'ERR_ARGUMENT', 'Expected string for texts[1] but received 7 of type number');
      expectError(() => tok.encodeBatch(['a'], [['b']] as unknown as string[]), 'ERR_ARGUMENT', 'Expected string for pairs[0] but received an array of length 1');
      expectError(() => tok.encodeBatch('ab' as unknown as string[]), 'ERR_ARGUMENT', 'Expected array of strings for texts');
      expectError(() => tok.encodeBatch(['a'], ['b', 'c']), 'ERR_ARGUMENT', 'pairs has 2 elements but texts has 1');
    });

    test('a maxLength with no room for text -> ERR_ARGUMENT', () => {
      const tok = tokenizers.main;
      expectError(() => tok.encode('a', undefined, 2), 'ERR_ARGUMENT', 'Expected integer >= 3 for maxLength but received 2 of type number: [CLS] a [SEP] needs room');
      expectError(() => tok.encode('a', 'b', 3), 'ERR_ARGUMENT', 'Expected integer >= 4 for maxLength but received 3 of type number: [CLS] a [SEP] b [SEP] needs room');
      expectError(() => tok.encode('a', undefined, 3.5), 'ERR_ARGUMENT', 'received 3.5 of type number');
      expectError(() => tok.encode('a', undefined, NaN), 'ERR_ARGUMENT', 'received NaN of type number');
      expectError(() => tok.encode('a', undefined, '128' as unknown as number), 'ERR_ARGUMENT', 'received "128" of type string');
      expectError(() => tok.encodeBatch(['a'], ['b'], 3), 'ERR_ARGUMENT', 'Expected integer >= 4 for maxLength');
      // The smallest allowed lengths work.
      expect(tok.encode('a b', undefined, 3).inputIds).toEqual([2, 21, 3]);
      expect(tok.encode('a b', 'the', 4).inputIds).toHaveLength(4);
    });

    test('missing folder or tokenizer.json -> ERR_IO naming the file', async () => {
      await expectLoadError(path.join(tmpRoot, 'does-not-exist'), 'ERR_IO', escape(path.join(tmpRoot, 'does-not-exist', 'tokenizer.json')));
      const onlyConfig = path.join(tmpRoot, 'only-config');
      fs.mkdirSync(onlyConfig);
      fs.writeFileSync(path.join(onlyConfig, 'tokenizer_config.json'), '{}');
      await expectLoadError(onlyConfig, 'ERR_IO', escape(`${path.join(onlyConfig, 'tokenizer.json')}: no such file; ${onlyConfig} has no fast tokenizer`));
      await expectLoadError(42, 'ERR_ARGUMENT', 'Expected non-empty string for dir but received 42 of type number');
    });

    test('malformed tokenizer.json or tokenizer_config.json -> ERR_CONFIG naming the file', async () => {
      const badJson = makeDir('bad-json', { tokenizerJson: '{"model": ', config: '{}' });
      await expectLoadError(badJson, 'ERR_CONFIG', escape(`${path.join(badJson, 'tokenizer.json')} is not valid JSON`));
      const notObject = makeDir('not-object', { tokenizerJson: '[1, 2]' });
      await expectLoadError(notObject, 'ERR_CONFIG', escape(`${path.join(notObject, 'tokenizer.json')} must hold a JSON object but holds an array of length 2`));
      const notTokenizer = makeDir('not-tokenizer', { tokenizerJson: '{"version": "1.0"}' });
      await expectLoadError(notTokenizer, 'ERR_CONFIG', escape(`${path.join(notTokenizer, 'tokenizer.json')} is not a tokenizer`));
      const badConfig = makeDir('bad-config', { config: '{"model_max_length": 512,' });
      await expectLoadError(badConfig, 'ERR_CONFIG', escape(`${path.join(badConfig, 'tokenizer_config.json')} is not valid JSON`));
      const notSentencePiece = makeDir('not-sentencepiece', {
        tokenizerJson: JSON.stringify({
          ...JSON.parse(fs.readFileSync(path.join(TOKENIZER_DIR, 'tokenizer.json'), 'utf8')),
          pre_tokenizer: { type: 'WhitespaceSplit' },
        }),
      });
      await expectLoadError(notSentencePiece, 'ERR_CONFIG', 'expected a SentencePiece-style pre_tokenizer');
      const badSide = makeDir('bad-side', { config: '{"truncation_side": "middle"}' });
      await expectLoadError(badSide, 'ERR_CONFIG', 'truncation_side must be "right" or "left" but is "middle" of type string');
      const badToken = makeDir('bad-token', { config: '{"cls_token": "[NOPE]"}' });
      await expectLoadError(badToken, 'ERR_CONFIG', 'has no token "[NOPE]" (the cls_token)');
    });
  });
});
