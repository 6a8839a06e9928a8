/** The name under which a version's drift reference profile is kept in the registry. */
export const REFERENCE_PROFILE_ATTACHMENT = 'reference-profile.json';
