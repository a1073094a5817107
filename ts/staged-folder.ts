// Kept for the importers that predate ts/io/: the staged folder write is ts/io/atomic-write.ts's
// writeFolderAtomic (a safe replacement of an existing folder, umask-respecting modes).
export { writeFolderAtomic as writeStagedFolder } from './io/atomic-write';
