/**
 * Beyond the profile's sampleSize a numeric column's distance comes from quantile sketches, with
 * bounds on the exact value. When those bounds contain the threshold the sketch cannot tell the
 * verdict; instead of guessing, the column is profiled again from every value on the sides that
 * were sketched and compared exactly. Only the undecided columns pay for it.
 */
import { compareProfiles, type CompareProfilesOptions } from './compare.js';
import type { DriftReport } from './drift-report.js';
import type { ColumnProfile, DriftProfile, FeatureSpec } from './profile.js';

/** Every value of some columns, as complete profiles (sampleSize ≥ the rows). */
export interface ExactColumnSources {
  /** undefined when the reference's values are no longer available (e.g. its snapshot was removed). */
  reference(features: FeatureSpec[]): Promise<DriftProfile | undefined>;
  current(features: FeatureSpec[]): Promise<DriftProfile>;
}

/** A sampleSize that keeps every value. */
export const EVERY_VALUE = Number.MAX_SAFE_INTEGER;

export async function compareResolvingUndecided(
  reference: DriftProfile,
  current: DriftProfile,
  options: CompareProfilesOptions,
  sources: ExactColumnSources,
): Promise<DriftReport> {
  const report = compareProfiles(reference, current, options);
  const undecided = report.columns.filter((column) => column.undecided).map((column) => column.column);
  if (undecided.length === 0) return report;
  const specs = (profile: DriftProfile) => profile.features.filter((feature) => undecided.includes(feature.name) && isSketched(feature)).map(({ name, kind }) => ({ name, kind }));
  const referenceSpecs = specs(reference);
  const exactReference = referenceSpecs.length > 0 ? await sources.reference(referenceSpecs) : undefined;
  if (referenceSpecs.length > 0 && !sameCounts(reference, exactReference)) return report;
  const currentSpecs = specs(current);
  const exactCurrent = currentSpecs.length > 0 ? await sources.current(currentSpecs) : undefined;
  return compareProfiles(withColumns(reference, exactReference), withColumns(current, exactCurrent), options);
}

function isSketched(column: ColumnProfile): boolean {
  return column.kind === 'numeric' && !column.sampleComplete && column.distinct === undefined;
}

/** The exact reference must describe the same values the profile did (same counts per column). */
function sameCounts(profile: DriftProfile, exact: DriftProfile | undefined): boolean {
  if (!exact) return false;
  return exact.features.every((column) => profile.features.find((other) => other.name === column.name)?.count === column.count);
}

function withColumns(profile: DriftProfile, replacements: DriftProfile | undefined): DriftProfile {
  if (!replacements) return profile;
  const byName = new Map(replacements.features.map((column) => [column.name, column]));
  return { ...profile, features: profile.features.map((column) => byName.get(column.name) ?? column) };
}
