// Which git repository a folder belongs to, found the way git finds it (see gitTracked.ts):
// walk up from the folder to the nearest `.git`, a directory or a file `gitdir: <path>` (a
// linked worktree, a submodule, `git init --separate-git-dir`), stopping, as git does, at a
// file-system boundary. The result names the worktree root (the folder holding `.git`) and
// the index file, or says there is no repository, or says git must answer because something
// is unusual: an environment variable that moves the repository, a malformed `.git` file, a
// bare repository on the way, a folder owned by another user (git's safe.directory check),
// a core.worktree naming another folder than the one found (a submodule's names its own),
// or a config this reader does not fully understand (gitConfigVerdict).
import { lstat, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

export type GitRepositoryLookup =
  | { kind: 'repository'; worktreeRoot: string; indexPath: string }
  | { kind: 'none' }
  | { kind: 'ask-git'; reason: string };

/** Variables that move the repository, its worktree or index, or change how git finds them. */
const REPOSITORY_ENVIRONMENT = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_COMMON_DIR',
  'GIT_CEILING_DIRECTORIES',
  'GIT_DISCOVERY_ACROSS_FILESYSTEM',
  'GIT_CONFIG_PARAMETERS',
  'GIT_CONFIG_COUNT',
];

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** The repository of `folder`, a real path (no symbolic links: the caller resolves it). */
export async function findGitRepository(folder: string): Promise<GitRepositoryLookup> {
  const moved = REPOSITORY_ENVIRONMENT.find((name) => process.env[name] !== undefined);
  if (moved) return { kind: 'ask-git', reason: `${moved} is set` };
  const device = (await stat(folder)).dev;
  let dir = folder;
  for (;;) {
    const dotGit = join(dir, '.git');
    const info = await lstat(dotGit).catch(() => undefined);
    if (info) return repositoryAt(dir, dotGit);
    // A bare repository (or the inside of a .git folder) on the way: git's rules, git's answer.
    if ((await exists(join(dir, 'HEAD'))) && (await exists(join(dir, 'objects')))) {
      return { kind: 'ask-git', reason: `${dir} looks like a git directory` };
    }
    const parent = dirname(dir);
    if (parent === dir) return { kind: 'none' };
    // git does not look past a file-system boundary (unless told to: asked of git above).
    if ((await stat(parent)).dev !== device) return { kind: 'none' };
    dir = parent;
  }
}

async function repositoryAt(worktreeRoot: string, dotGit: string): Promise<GitRepositoryLookup> {
  const info = await stat(dotGit).catch(() => undefined);
  let gitDir: string;
  if (info?.isDirectory()) {
    gitDir = dotGit;
  } else if (info?.isFile()) {
    const text = await readFile(dotGit, 'utf8');
    const match = /^gitdir: (.+?)\r?\n?$/.exec(text);
    if (!match?.[1]) return { kind: 'ask-git', reason: `${dotGit} is not a 'gitdir: <path>' file` };
    gitDir = resolve(worktreeRoot, match[1]);
  } else {
    return { kind: 'ask-git', reason: `${dotGit} is neither a folder nor a file` };
  }
  if (!(await exists(join(gitDir, 'HEAD')))) return { kind: 'ask-git', reason: `${gitDir} has no HEAD` };

  const uid = process.getuid?.();
  if (uid !== undefined) {
    for (const path of [worktreeRoot, gitDir]) {
      if ((await stat(path)).uid !== uid) return { kind: 'ask-git', reason: `${path} is owned by another user` };
    }
  }

  // A linked worktree keeps the shared repository's path in `commondir`; the config is there.
  const commonDirText = await readFile(join(gitDir, 'commondir'), 'utf8').catch(() => undefined);
  const commonDir = commonDirText === undefined ? gitDir : resolve(gitDir, commonDirText.replace(/\r?\n$/, ''));
  const config = await readFile(join(commonDir, 'config'), 'utf8').catch(() => undefined);
  if (config === undefined) return { kind: 'ask-git', reason: `${commonDir} has no config` };
  const verdict = gitConfigVerdict(config);
  if (verdict.askGit) return { kind: 'ask-git', reason: verdict.askGit };
  let worktree = verdict.worktree;
  if (verdict.worktreeConfig) {
    const worktreeConfig = await readFile(join(gitDir, 'config.worktree'), 'utf8').catch(() => '');
    const worktreeVerdict = gitConfigVerdict(worktreeConfig);
    if (worktreeVerdict.askGit) return { kind: 'ask-git', reason: worktreeVerdict.askGit };
    worktree = worktreeVerdict.worktree ?? worktree;
  }
  // A submodule's config names its worktree (relative to its git directory): the folder found.
  if (worktree !== undefined) {
    const named = await realpath(resolve(gitDir, worktree)).catch(() => undefined);
    if (named !== worktreeRoot) return { kind: 'ask-git', reason: `core.worktree is ${worktree}, not ${worktreeRoot}` };
  }
  return { kind: 'repository', worktreeRoot, indexPath: join(gitDir, 'index') };
}

/** Extensions that leave the index's format and the worktree's place as they are. */
const HARMLESS_EXTENSIONS = new Set(['noop', 'preciousobjects', 'partialclone', 'worktreeconfig', 'objectformat']);
const FALSE_VALUES = new Set(['false', 'no', 'off', '0']);

/**
 * What a repository config means for reading the index here: `worktree` is core.worktree,
 * `askGit` names the setting that makes git answer (a core.worktree with quotes, escapes or
 * comments, core.bare, an unknown extension, a sha256 object
 * format, an include, a line this tiny reader does not follow), `worktreeConfig` says
 * config.worktree must be read too.
 */
export function gitConfigVerdict(text: string): { askGit?: string; worktreeConfig: boolean; worktree?: string } {
  let section = '';
  let worktreeConfig = false;
  let worktree: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.endsWith('\\')) return { askGit: 'a continued line in the config', worktreeConfig };
    const header = /^\[\s*([A-Za-z0-9.-]+)\s*(?:"(?:[^"\\]|\\.)*"\s*)?\](.*)$/.exec(line);
    if (header) {
      // A subsection (`[core "x"]`, `[core.x]`) is not the section itself.
      section = line.includes('"') || header[1].includes('.') ? `${header[1].toLowerCase()}.*` : header[1].toLowerCase();
      if (section === 'include' || section.startsWith('includeif')) return { askGit: 'the config includes another file', worktreeConfig };
      const rest = header[2].trim();
      if (rest === '' || rest.startsWith('#') || rest.startsWith(';')) continue;
      return { askGit: 'a setting on a section line in the config', worktreeConfig };
    }
    const setting = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/.exec(line);
    if (!setting) return { askGit: `a config line not read here: ${line.slice(0, 40)}`, worktreeConfig };
    const key = setting[1].toLowerCase();
    const value = (setting[2] ?? 'true')
      .replace(/\s[#;].*$/, '')
      .replace(/^"(.*)"$/, '$1')
      .trim()
      .toLowerCase();
    if (section === 'core') {
      if (key === 'worktree') {
        const raw = setting[2]?.trim() ?? '';
        if (raw === '' || /["\\#;]/.test(raw)) return { askGit: 'core.worktree is set', worktreeConfig };
        worktree = raw;
      }
      if (key === 'bare' && !FALSE_VALUES.has(value)) return { askGit: 'core.bare is set', worktreeConfig };
      if (key === 'repositoryformatversion' && value !== '0' && value !== '1') {
        return { askGit: `core.repositoryformatversion is ${value}`, worktreeConfig };
      }
    } else if (section.startsWith('extensions')) {
      if (section !== 'extensions' || !HARMLESS_EXTENSIONS.has(key)) return { askGit: `extensions.${key} is set`, worktreeConfig };
      if (key === 'objectformat' && value !== 'sha1') return { askGit: `extensions.objectformat is ${value}`, worktreeConfig };
      if (key === 'worktreeconfig') worktreeConfig = !FALSE_VALUES.has(value);
    }
  }
  return { worktreeConfig, worktree };
}
