/**
 * A Package Family Name is `<Name>_<PublisherId>`: a package name of 3–50 characters (letters,
 * digits, `.` and `-`) and a 13-character publisher id in Crockford base32 (lowercase, as Windows
 * prints it). See docs/model.md.
 */
const PFN_PATTERN = /^[A-Za-z0-9.-]{3,50}_[0-9a-hjkmnp-tv-z]{13}$/;

/** True when `pfn` has the form of a Package Family Name. */
export function isWellFormedPfn(pfn: string): boolean {
  return PFN_PATTERN.test(pfn);
}

export const PFN_FORM = '<Name>_<13-character publisher id>, e.g. Contoso.MDM_8wekyb3d8bbwe';
