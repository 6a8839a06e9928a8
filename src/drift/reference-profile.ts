/**
 * The reference profile: built from the training Table for the model's features, stored with
 * the version as the registry attachment `reference-profile.json` (see profile-file.ts).
 */
import { getColumn, type Table } from '../data/table.js';
import { categoricalProfileFromCodes } from './categorical-column-profile.js';
import { numericProfileFromValues } from './numeric-column-profile.js';
import { PROFILE_FORMAT, ProfileError, resolveProfileOptions, type ColumnProfile, type DriftProfile, type ProfileOptions, type ProfileSource } from './profile.js';

/** The profile of `features` of the training data (a feature's kind is its Table column's kind). */
export function buildReferenceProfile(table: Table, features: readonly string[], options: Partial<ProfileOptions> = {}): DriftProfile {
  return profileFromTable(table, features, options);
}

/** The profile of any Table (a reference, or a window in tests and benchmarks). */
export function profileFromTable(
  table: Table,
  features: readonly string[],
  options: Partial<ProfileOptions> = {},
  source: ProfileSource = { kind: 'table' },
): DriftProfile {
  const resolved = resolveProfileOptions(options);
  const profiles: ColumnProfile[] = features.map((name) => {
    const column = getColumn(table, name);
    if (!column) throw new ProfileError(`feature "${name}" is not a column of the table (columns: ${table.columns.map((c) => c.name).join(', ')})`);
    return column.kind === 'numeric'
      ? numericProfileFromValues(name, column.values, resolved)
      : categoricalProfileFromCodes(name, column.codes, column.dictionary, resolved);
  });
  return { format: PROFILE_FORMAT, createdAt: new Date().toISOString(), rows: table.rowCount, options: resolved, source, features: profiles };
}

export { attachReferenceProfile, downloadReferenceProfile, readProfile, writeProfile } from './profile-file.js';
export { REFERENCE_PROFILE_ATTACHMENT } from './reference-profile-attachment.js';
export { mergeProfiles } from './merge-profiles.js';
