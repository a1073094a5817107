// The test tiers of jest.config.js: every test file is in exactly one, and every file a tier lists
// exists (a file listed nowhere still runs, in the "unclassified" project: this is what catches it).
import * as fs from 'fs';
import * as path from 'path';

interface Project { displayName: string; testMatch: string[] }

const TEST_DIR = __dirname;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const config = require('../jest.config.js') as { projects: Project[] };

function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(file);
    return entry.name.endsWith('.test.ts') ? [path.relative(TEST_DIR, file)] : [];
  });
}

/** The files a project lists, relative to test/. */
function listedBy(project: Project): string[] {
  return project.testMatch.map((glob) => glob.replace(/^<rootDir>\/test\//, ''));
}

const TIERS = ['unit', 'native', 'reference', 'e2e'];

test('the projects are the four tiers, and no test file is left unclassified', () => {
  const names = config.projects.map((p) => p.displayName);
  const unclassified = config.projects.find((p) => p.displayName === 'unclassified');
  expect({ names, unclassified: unclassified ? listedBy(unclassified) : [] }).toEqual({ names: TIERS, unclassified: [] });
});

test('every test file is in exactly one tier, and every listed file exists', () => {
  const tiersOf = new Map<string, string[]>(testFiles(TEST_DIR).map((file) => [file, []]));
  const missing: string[] = [];
  for (const project of config.projects) {
    for (const file of listedBy(project)) {
      const tiers = tiersOf.get(file);
      if (tiers) tiers.push(project.displayName);
      else missing.push(`${project.displayName}: ${file}`);
    }
  }
  const notInOne = [...tiersOf].filter(([, tiers]) => tiers.length !== 1).map(([file, tiers]) => `${file}: ${tiers.join(', ') || 'none'}`);
  expect({ missing, notInOne }).toEqual({ missing: [], notInOne: [] });
  expect(tiersOf.size).toBeGreaterThan(40);
});
