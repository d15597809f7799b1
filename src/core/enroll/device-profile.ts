/**
 * What an enrolling Windows device says about itself in MS-MDE2's Discover request and the
 * RequestSecurityToken's `AdditionalContext`, and the values by Windows release and version.
 */
import { osProfile, type OsName } from '../os/os-profiles.js';

/** The Windows releases the simulator tells apart for enrollment. */
export type WindowsRelease = 'windows10' | 'windows11';

/** Hash algorithms a device can sign its certificate request with. */
export type CsrHash = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

/** What differs between releases. */
interface ReleaseDefaults {
  /**
   * `RequestVersion` of the Discover request. Windows 10 sends `4.0` (a build 17134 capture in
   * mattrax/Mattrax `windowsMDM`; a build 19043 capture in the README of a Windows MDM server demo
   * forked from oscartbeaumont/windows_mdm); Windows 11 25H2 (build 26200) sends `9.0`
   * (fleetdm/fleet#49329; Fleet's allow-list of 4.0–7.0 refused it until Fleet 4.89.1).
   * Earlier Windows 11 builds sent 5.0–7.0 (Fleet's test client: 5.0; fleetdm/fleet#31412: 7.0).
   */
  readonly requestVersion: string;
  /** A build of the release: `OSVersion` and `ApplicationVersion` (a dotted quad). */
  readonly osVersion: string;
  /**
   * Whether the RequestSecurityToken's context carries `RequestVersion` too (Fleet's test client,
   * from a Windows 11 capture, sends it; the Windows 10 capture does not).
   */
  readonly requestVersionInContext: boolean;
  /**
   * The hash the certificate request is signed with when the enrollment policy names none:
   * SHA-1 on Windows 10 ("Federated authentication device enrollment": "if no policies are
   * specified, … the hash algorithm is SHA-1"; the 19043 capture signs with sha1RSA); SHA-256 on
   * Windows 11 (**assumption**: Fleet's Windows 11 capture signs with SHA-256, under a policy
   * naming SHA-256).
   */
  readonly defaultHash: CsrHash;
}

/**
 * The defaults of each release. Builds are examples of each release (**assumption**); a profile
 * that names its version (`os`) takes the version's build and `RequestVersion` instead.
 */
const RELEASES: Readonly<Record<WindowsRelease, ReleaseDefaults>> = {
  windows10: {
    requestVersion: '4.0',
    osVersion: '10.0.19045.3803',
    requestVersionInContext: false,
    defaultHash: 'SHA-1',
  },
  windows11: {
    requestVersion: '9.0',
    osVersion: '10.0.26200.7171',
    requestVersionInContext: true,
    defaultHash: 'SHA-256',
  },
};

/** `EnrollmentType` context item: a user's enrollment (`Full`) or a device-wide one (`Device`). */
export type EnrollmentType = 'Full' | 'Device';

/** An enrolling device, as the enrollment messages describe it. */
export interface EnrollDeviceProfile {
  /** `DeviceID` context item and `./DevInfo/DevId` (Windows: 32 hexadecimal digits). */
  readonly devId: string;
  /** `HWDevID` context item (Windows: 64 hexadecimal digits). */
  readonly hwDevId: string;
  /** `DeviceName` context item (`DESKTOP-28FGAI6`). */
  readonly deviceName: string;
  readonly release: WindowsRelease;
  /**
   * The device's Windows version (`core/os/os-profiles.ts`): its `RequestVersion` (4.0 on Windows
   * 10; 5.0–9.0 by Windows 11 version) and build are the defaults; its family wins over `release`.
   */
  readonly os?: OsName;
  /** `OSVersion` and `ApplicationVersion`; default: the version's (or the release's) build. */
  readonly osVersion?: string;
  /**
   * `OSEdition`: the product type as a decimal number (MS-MDE2 §2.2.9.6; GetProductInfo's
   * values): 48 Professional (the default), 4 Enterprise, 101 Home, 72 Enterprise evaluation.
   */
  readonly osEdition?: number;
  /** `RequestVersion`; default: the version's (or the release's). */
  readonly requestVersion?: string;
  /** `EmailAddress` of Discover: the user's UPN (may be empty, as in Fleet's test client). */
  readonly email: string;
  /** `EnrollmentType`; default `Full`. */
  readonly enrollmentType?: EnrollmentType;
  /** `Locale`; default `en-US`. */
  readonly locale?: string;
  /** `MAC` context items (`00-0C-29-51-60-9D`); default none. */
  readonly macs?: readonly string[];
  /** `UXInitiated`: the user started the enrollment in Settings; default false (programmatic). */
  readonly uxInitiated?: boolean;
  /** `NotInOobe`; default false, as in both public captures. */
  readonly notInOobe?: boolean;
  /** `TargetedUserLoggedIn`; default true. */
  readonly targetedUserLoggedIn?: boolean;
}

/** The profile's values with the defaults applied. */
export interface ResolvedProfile {
  readonly requestVersion: string;
  readonly osVersion: string;
  readonly osEdition: string;
  readonly enrollmentType: EnrollmentType;
  readonly requestVersionInContext: boolean;
  readonly defaultHash: CsrHash;
}

/** Applies the version's and the release's defaults to `profile`. */
export function resolveProfile(profile: EnrollDeviceProfile): ResolvedProfile {
  const os = profile.os === undefined ? null : osProfile(profile.os);
  const release = RELEASES[os?.family ?? profile.release];
  return {
    requestVersion: profile.requestVersion ?? os?.requestVersion ?? release.requestVersion,
    osVersion: profile.osVersion ?? (os ? `10.0.${os.build}.1` : release.osVersion),
    osEdition: String(profile.osEdition ?? 48),
    enrollmentType: profile.enrollmentType ?? 'Full',
    requestVersionInContext: release.requestVersionInContext,
    defaultHash: release.defaultHash,
  };
}
