/**
 * The provisioning document Fleet's server returns at enrollment (fleetdm/fleet
 * `server/service/microsoft_mdm.go`, `NewProvisioningDoc`), as the tests' one copy:
 * CertificateStore Root/System and the device's certificate (My/User, or My/System for a Device
 * enrollment) with WSTEP renewal settings, the w7 APPLICATION `Fleet` with its CLIENT (a dummy
 * secret) and APPSRV (the device's name and secret) DIGEST credentials, and the DMClient provider
 * `Fleet` polling every minute.
 */
import { parseProvisioningDoc } from '../../src/core/enroll/provisioning-doc.js';
import type { ProvisioningDoc } from '../../src/core/enroll/wap-doc.js';

export const FLEET_ADDR = 'https://fleet.example.com/api/mdm/microsoft/management';
export const FLEET_ROOT_THUMB = '031336C933CC7E228B88880D78824FB2909A0A2F';
export const FLEET_DEVICE_THUMB = 'F9A4F20FC50D990FDD0E3DB9AFCBF401818D5462';
// Base64 of arbitrary bytes: the tree stores EncodedCertificate as given.
export const FLEET_ROOT_CERT = 'MIIBszCCAVmgAwIBAgIUcm9vdA==';
export const FLEET_DEVICE_CERT = 'MIIBtDCCAVqgAwIBAgIUZGV2aWNl';
export const FLEET_USERNAME = 'device-uuid';
export const FLEET_SECRET = 'f00d-secret';

/** What a test changes in the document. */
export interface FleetDocOptions {
  /** The management URL (default {@link FLEET_ADDR}); null leaves ADDR out. */
  readonly addr?: string | null;
  /** The APPSRV credentials (default {@link FLEET_USERNAME}, {@link FLEET_SECRET}). */
  readonly username?: string;
  readonly secret?: string;
  /** The device certificate's store: `User` (default) or `System` (a Device enrollment). */
  readonly store?: 'User' | 'System';
  /** Extra XML under the DMClient provider (a parm or a characteristic). */
  readonly providerParm?: string;
  /** False leaves the Poll characteristic out. */
  readonly poll?: boolean;
}

/** Fleet's Poll characteristic: every minute, indefinitely. */
const POLL = `<characteristic type="Poll">
          <parm name="AllUsersPollOnFirstLogin" value="true" datatype="boolean"/>
          <parm name="PollOnLogin" value="true" datatype="boolean"/>
          <parm name="NumberOfFirstRetries" value="0" datatype="integer"/>
          <parm name="IntervalForFirstSetOfRetries" value="1" datatype="integer"/>
          <parm name="NumberOfSecondRetries" value="0" datatype="integer"/>
          <parm name="IntervalForSecondSetOfRetries" value="0" datatype="integer"/>
          <parm name="NumberOfRemainingScheduledRetries" value="0" datatype="integer"/>
          <parm name="IntervalForRemainingScheduledRetries" value="0" datatype="integer"/>
        </characteristic>`;

/** The document as XML. */
export function fleetProvisioningXml(o: FleetDocOptions = {}): string {
  const addr = o.addr === undefined ? FLEET_ADDR : o.addr;
  return `<wap-provisioningdoc version="1.1">
  <characteristic type="CertificateStore">
    <characteristic type="Root">
      <characteristic type="System">
        <characteristic type="${FLEET_ROOT_THUMB}">
          <parm name="EncodedCertificate" value="${FLEET_ROOT_CERT}"/>
        </characteristic>
      </characteristic>
    </characteristic>
    <characteristic type="My">
      <characteristic type="${o.store ?? 'User'}">
        <characteristic type="${FLEET_DEVICE_THUMB}">
          <parm name="EncodedCertificate" value="${FLEET_DEVICE_CERT}"/>
        </characteristic>
        <characteristic type="PrivateKeyContainer"/>
      </characteristic>
      <characteristic type="WSTEP">
        <characteristic type="Renew">
          <parm name="ROBOSupport" value="true" datatype="boolean"/>
          <parm name="RenewPeriod" value="180" datatype="integer"/>
          <parm name="RetryInterval" value="4" datatype="integer"/>
        </characteristic>
      </characteristic>
    </characteristic>
  </characteristic>
  <characteristic type="APPLICATION">
    <parm name="PROVIDER-ID" value="Fleet"/>
    <parm name="APPID" value="w7"/>
    <parm name="NAME" value="Fleet"/>
    ${addr === null ? '' : `<parm name="ADDR" value="${addr}"/>`}
    <parm name="CONNRETRYFREQ" value="6"/>
    <parm name="INITIALBACKOFFTIME" value="30000"/>
    <parm name="MAXBACKOFFTIME" value="120000"/>
    <parm name="DEFAULTENCODING" value="application/vnd.syncml.dm+xml"/>
    <parm name="BACKCOMPATRETRYDISABLED"/>
    <characteristic type="APPAUTH">
      <parm name="AAUTHLEVEL" value="CLIENT"/>
      <parm name="AAUTHTYPE" value="DIGEST"/>
      <parm name="AAUTHSECRET" value="dummy"/>
      <parm name="AAUTHDATA" value="nonce"/>
    </characteristic>
    <characteristic type="APPAUTH">
      <parm name="AAUTHLEVEL" value="APPSRV"/>
      <parm name="AAUTHTYPE" value="DIGEST"/>
      <parm name="AAUTHNAME" value="${o.username ?? FLEET_USERNAME}"/>
      <parm name="AAUTHSECRET" value="${o.secret ?? FLEET_SECRET}"/>
      <parm name="AAUTHDATA" value="nonce"/>
    </characteristic>
  </characteristic>
  <characteristic type="DMClient">
    <characteristic type="Provider">
      <characteristic type="Fleet">
        ${o.providerParm ?? ''}
        ${o.poll === false ? '' : POLL}
      </characteristic>
    </characteristic>
  </characteristic>
</wap-provisioningdoc>`;
}

/** The document, parsed. */
export function fleetProvisioningDoc(o: FleetDocOptions = {}): ProvisioningDoc {
  return parseProvisioningDoc(fleetProvisioningXml(o));
}
