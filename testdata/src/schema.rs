//! The Defender advanced-hunting tables: documented columns and types
//! (`../shared/schema/mde-schema.md`, from MicrosoftDocs/defender-docs), and their Arrow form.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// A documented column type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// `datetime`
    Time,
    /// `string`
    Str,
    /// `long`
    Long,
    /// `int`
    Int,
    /// `bool`
    Bool,
}

/// The tables the generator writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// Process creation and related events.
    DeviceProcessEvents,
    /// Network connections and related events.
    DeviceNetworkEvents,
    /// File signing certificates.
    DeviceFileCertificateInfo,
    /// File creation, modification and other file system events.
    DeviceFileEvents,
    /// Registry changes.
    DeviceRegistryEvents,
    /// Device inventory heartbeats.
    DeviceInfo,
}

impl Table {
    /// Every table, in a stable order.
    pub const ALL: [Self; 6] = [
        Self::DeviceProcessEvents,
        Self::DeviceNetworkEvents,
        Self::DeviceFileCertificateInfo,
        Self::DeviceFileEvents,
        Self::DeviceRegistryEvents,
        Self::DeviceInfo,
    ];

    /// The table name, as queries write it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::DeviceProcessEvents => "DeviceProcessEvents",
            Self::DeviceNetworkEvents => "DeviceNetworkEvents",
            Self::DeviceFileCertificateInfo => "DeviceFileCertificateInfo",
            Self::DeviceFileEvents => "DeviceFileEvents",
            Self::DeviceRegistryEvents => "DeviceRegistryEvents",
            Self::DeviceInfo => "DeviceInfo",
        }
    }

    /// The documented columns, in documented order.
    pub const fn columns(self) -> &'static [(&'static str, ColumnType)] {
        match self {
            Self::DeviceProcessEvents => DEVICE_PROCESS_EVENTS,
            Self::DeviceNetworkEvents => DEVICE_NETWORK_EVENTS,
            Self::DeviceFileCertificateInfo => DEVICE_FILE_CERTIFICATE_INFO,
            Self::DeviceFileEvents => DEVICE_FILE_EVENTS,
            Self::DeviceRegistryEvents => DEVICE_REGISTRY_EVENTS,
            Self::DeviceInfo => DEVICE_INFO,
        }
    }

    /// The position of `column`, if the table has it.
    pub fn column_index(self, column: &str) -> Option<usize> {
        self.columns().iter().position(|(c, _)| *c == column)
    }

    /// The Arrow schema with the given physical types.
    pub fn schema(self, physical: &PhysicalTypes) -> SchemaRef {
        let fields: Vec<Field> = self
            .columns()
            .iter()
            .map(|(name, ty)| {
                // Timestamps and ids are always present; everything else may be null.
                let nullable = !matches!(*name, "Timestamp" | "DeviceId" | "ReportId");
                Field::new(*name, physical.data_type(*ty), nullable)
            })
            .collect();
        Arc::new(Schema::new(fields))
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Table {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|t| t.name().eq_ignore_ascii_case(s)).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|t| t.name()).collect();
            format!("unknown table `{s}`; the tables are {}", names.join(", "))
        })
    }
}

/// How strings are stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StringEncoding {
    /// `Utf8` (plain).
    #[default]
    Utf8,
    /// `LargeUtf8` (64-bit offsets).
    LargeUtf8,
    /// `Utf8View`.
    Utf8View,
    /// `Dictionary(Int32, Utf8)`.
    Dictionary,
}

/// The physical Arrow types used for the documented types. Real lakes differ (Spark writes
/// microseconds, others nanoseconds, some drop the zone), so tests can generate each variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhysicalTypes {
    /// Timestamp resolution.
    pub time_unit: TimeUnit,
    /// Whether timestamps carry the `UTC` zone.
    pub utc: bool,
    /// String layout.
    pub strings: StringEncoding,
}

impl Default for PhysicalTypes {
    /// Microsecond UTC timestamps and plain strings, as Spark-based exports write them.
    fn default() -> Self {
        Self { time_unit: TimeUnit::Microsecond, utc: true, strings: StringEncoding::Utf8 }
    }
}

impl PhysicalTypes {
    /// Nanosecond UTC timestamps and plain strings (the generator's working form).
    pub(crate) fn nanos_utf8() -> Self {
        Self { time_unit: TimeUnit::Nanosecond, utc: true, strings: StringEncoding::Utf8 }
    }

    /// The Arrow type for a documented type.
    pub fn data_type(&self, ty: ColumnType) -> DataType {
        match ty {
            ColumnType::Time => DataType::Timestamp(self.time_unit, self.utc.then(|| "UTC".into())),
            ColumnType::Str => match self.strings {
                StringEncoding::Utf8 => DataType::Utf8,
                StringEncoding::LargeUtf8 => DataType::LargeUtf8,
                StringEncoding::Utf8View => DataType::Utf8View,
                StringEncoding::Dictionary => DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
            },
            ColumnType::Long => DataType::Int64,
            ColumnType::Int => DataType::Int32,
            ColumnType::Bool => DataType::Boolean,
        }
    }
}

/// `DeviceProcessEvents` (58 columns).
const DEVICE_PROCESS_EVENTS: &[(&str, ColumnType)] = &[
    ("Timestamp", ColumnType::Time),
    ("DeviceId", ColumnType::Str),
    ("DeviceName", ColumnType::Str),
    ("ActionType", ColumnType::Str),
    ("FileName", ColumnType::Str),
    ("FolderPath", ColumnType::Str),
    ("SHA1", ColumnType::Str),
    ("SHA256", ColumnType::Str),
    ("MD5", ColumnType::Str),
    ("FileSize", ColumnType::Long),
    ("ProcessVersionInfoCompanyName", ColumnType::Str),
    ("ProcessVersionInfoProductName", ColumnType::Str),
    ("ProcessVersionInfoProductVersion", ColumnType::Str),
    ("ProcessVersionInfoInternalFileName", ColumnType::Str),
    ("ProcessVersionInfoOriginalFileName", ColumnType::Str),
    ("ProcessVersionInfoFileDescription", ColumnType::Str),
    ("ProcessId", ColumnType::Long),
    ("ProcessCommandLine", ColumnType::Str),
    ("ProcessIntegrityLevel", ColumnType::Str),
    ("ProcessTokenElevation", ColumnType::Str),
    ("ProcessCreationTime", ColumnType::Time),
    ("AccountDomain", ColumnType::Str),
    ("AccountName", ColumnType::Str),
    ("AccountSid", ColumnType::Str),
    ("AccountUpn", ColumnType::Str),
    ("AccountObjectId", ColumnType::Str),
    ("LogonId", ColumnType::Long),
    ("InitiatingProcessAccountDomain", ColumnType::Str),
    ("InitiatingProcessAccountName", ColumnType::Str),
    ("InitiatingProcessAccountSid", ColumnType::Str),
    ("InitiatingProcessAccountUpn", ColumnType::Str),
    ("InitiatingProcessAccountObjectId", ColumnType::Str),
    ("InitiatingProcessLogonId", ColumnType::Long),
    ("InitiatingProcessIntegrityLevel", ColumnType::Str),
    ("InitiatingProcessTokenElevation", ColumnType::Str),
    ("InitiatingProcessSHA1", ColumnType::Str),
    ("InitiatingProcessSHA256", ColumnType::Str),
    ("InitiatingProcessMD5", ColumnType::Str),
    ("InitiatingProcessFileName", ColumnType::Str),
    ("InitiatingProcessFileSize", ColumnType::Long),
    ("InitiatingProcessVersionInfoCompanyName", ColumnType::Str),
    ("InitiatingProcessVersionInfoProductName", ColumnType::Str),
    ("InitiatingProcessVersionInfoProductVersion", ColumnType::Str),
    ("InitiatingProcessVersionInfoInternalFileName", ColumnType::Str),
    ("InitiatingProcessVersionInfoOriginalFileName", ColumnType::Str),
    ("InitiatingProcessVersionInfoFileDescription", ColumnType::Str),
    ("InitiatingProcessId", ColumnType::Long),
    ("InitiatingProcessCommandLine", ColumnType::Str),
    ("InitiatingProcessCreationTime", ColumnType::Time),
    ("InitiatingProcessFolderPath", ColumnType::Str),
    ("InitiatingProcessParentId", ColumnType::Long),
    ("InitiatingProcessParentFileName", ColumnType::Str),
    ("InitiatingProcessParentCreationTime", ColumnType::Time),
    ("InitiatingProcessSignerType", ColumnType::Str),
    ("InitiatingProcessSignatureStatus", ColumnType::Str),
    ("ReportId", ColumnType::Long),
    ("AppGuardContainerId", ColumnType::Str),
    ("AdditionalFields", ColumnType::Str),
];

/// `DeviceNetworkEvents` (44 columns).
const DEVICE_NETWORK_EVENTS: &[(&str, ColumnType)] = &[
    ("Timestamp", ColumnType::Time),
    ("DeviceId", ColumnType::Str),
    ("DeviceName", ColumnType::Str),
    ("ActionType", ColumnType::Str),
    ("RemoteIP", ColumnType::Str),
    ("RemotePort", ColumnType::Int),
    ("RemoteUrl", ColumnType::Str),
    ("LocalIP", ColumnType::Str),
    ("LocalPort", ColumnType::Int),
    ("Protocol", ColumnType::Str),
    ("LocalIPType", ColumnType::Str),
    ("RemoteIPType", ColumnType::Str),
    ("InitiatingProcessSHA1", ColumnType::Str),
    ("InitiatingProcessSHA256", ColumnType::Str),
    ("InitiatingProcessMD5", ColumnType::Str),
    ("InitiatingProcessFileName", ColumnType::Str),
    ("InitiatingProcessFileSize", ColumnType::Long),
    ("InitiatingProcessVersionInfoCompanyName", ColumnType::Str),
    ("InitiatingProcessVersionInfoProductName", ColumnType::Str),
    ("InitiatingProcessVersionInfoProductVersion", ColumnType::Str),
    ("InitiatingProcessVersionInfoInternalFileName", ColumnType::Str),
    ("InitiatingProcessVersionInfoOriginalFileName", ColumnType::Str),
    ("InitiatingProcessVersionInfoFileDescription", ColumnType::Str),
    ("InitiatingProcessId", ColumnType::Long),
    ("InitiatingProcessCommandLine", ColumnType::Str),
    ("InitiatingProcessCreationTime", ColumnType::Time),
    ("InitiatingProcessFolderPath", ColumnType::Str),
    ("InitiatingProcessParentFileName", ColumnType::Str),
    ("InitiatingProcessParentId", ColumnType::Long),
    ("InitiatingProcessParentCreationTime", ColumnType::Time),
    ("InitiatingProcessAccountDomain", ColumnType::Str),
    ("InitiatingProcessAccountName", ColumnType::Str),
    ("InitiatingProcessAccountSid", ColumnType::Str),
    ("InitiatingProcessAccountUpn", ColumnType::Str),
    ("InitiatingProcessAccountObjectId", ColumnType::Str),
    ("InitiatingProcessIntegrityLevel", ColumnType::Str),
    ("InitiatingProcessTokenElevation", ColumnType::Str),
    ("ReportId", ColumnType::Long),
    ("AppGuardContainerId", ColumnType::Str),
    ("AdditionalFields", ColumnType::Str),
    ("InitiatingProcessSessionId", ColumnType::Long),
    ("IsInitiatingProcessRemoteSession", ColumnType::Bool),
    ("InitiatingProcessRemoteSessionDeviceName", ColumnType::Str),
    ("InitiatingProcessRemoteSessionIP", ColumnType::Str),
];

/// `DeviceFileCertificateInfo` (18 columns).
const DEVICE_FILE_CERTIFICATE_INFO: &[(&str, ColumnType)] = &[
    ("Timestamp", ColumnType::Time),
    ("DeviceId", ColumnType::Str),
    ("DeviceName", ColumnType::Str),
    ("SHA1", ColumnType::Str),
    ("IsSigned", ColumnType::Bool),
    ("SignatureType", ColumnType::Str),
    ("Signer", ColumnType::Str),
    ("SignerHash", ColumnType::Str),
    ("Issuer", ColumnType::Str),
    ("IssuerHash", ColumnType::Str),
    ("CertificateSerialNumber", ColumnType::Str),
    ("CrlDistributionPointUrls", ColumnType::Str),
    ("CertificateCreationTime", ColumnType::Time),
    ("CertificateExpirationTime", ColumnType::Time),
    ("CertificateCountersignatureTime", ColumnType::Time),
    ("IsTrusted", ColumnType::Bool),
    ("IsRootSignerMicrosoft", ColumnType::Bool),
    ("ReportId", ColumnType::Long),
];

/// `DeviceFileEvents` (57 columns).
const DEVICE_FILE_EVENTS: &[(&str, ColumnType)] = &[
    ("Timestamp", ColumnType::Time),
    ("DeviceId", ColumnType::Str),
    ("DeviceName", ColumnType::Str),
    ("ActionType", ColumnType::Str),
    ("FileName", ColumnType::Str),
    ("FolderPath", ColumnType::Str),
    ("SHA1", ColumnType::Str),
    ("SHA256", ColumnType::Str),
    ("MD5", ColumnType::Str),
    ("FileOriginUrl", ColumnType::Str),
    ("FileOriginReferrerUrl", ColumnType::Str),
    ("FileOriginIP", ColumnType::Str),
    ("PreviousFolderPath", ColumnType::Str),
    ("PreviousFileName", ColumnType::Str),
    ("FileSize", ColumnType::Long),
    ("InitiatingProcessAccountDomain", ColumnType::Str),
    ("InitiatingProcessAccountName", ColumnType::Str),
    ("InitiatingProcessAccountSid", ColumnType::Str),
    ("InitiatingProcessAccountUpn", ColumnType::Str),
    ("InitiatingProcessAccountObjectId", ColumnType::Str),
    ("InitiatingProcessMD5", ColumnType::Str),
    ("InitiatingProcessSHA1", ColumnType::Str),
    ("InitiatingProcessSHA256", ColumnType::Str),
    ("InitiatingProcessFolderPath", ColumnType::Str),
    ("InitiatingProcessFileName", ColumnType::Str),
    ("InitiatingProcessFileSize", ColumnType::Long),
    ("InitiatingProcessVersionInfoCompanyName", ColumnType::Str),
    ("InitiatingProcessVersionInfoProductName", ColumnType::Str),
    ("InitiatingProcessVersionInfoProductVersion", ColumnType::Str),
    ("InitiatingProcessVersionInfoInternalFileName", ColumnType::Str),
    ("InitiatingProcessVersionInfoOriginalFileName", ColumnType::Str),
    ("InitiatingProcessVersionInfoFileDescription", ColumnType::Str),
    ("InitiatingProcessId", ColumnType::Long),
    ("InitiatingProcessCommandLine", ColumnType::Str),
    ("InitiatingProcessCreationTime", ColumnType::Time),
    ("InitiatingProcessIntegrityLevel", ColumnType::Str),
    ("InitiatingProcessTokenElevation", ColumnType::Str),
    ("InitiatingProcessParentId", ColumnType::Long),
    ("InitiatingProcessParentFileName", ColumnType::Str),
    ("InitiatingProcessParentCreationTime", ColumnType::Time),
    ("RequestProtocol", ColumnType::Str),
    ("RequestSourceIP", ColumnType::Str),
    ("RequestSourcePort", ColumnType::Int),
    ("RequestAccountName", ColumnType::Str),
    ("RequestAccountDomain", ColumnType::Str),
    ("RequestAccountSid", ColumnType::Str),
    ("ShareName", ColumnType::Str),
    ("SensitivityLabel", ColumnType::Str),
    ("SensitivitySubLabel", ColumnType::Str),
    ("IsAzureInfoProtectionApplied", ColumnType::Bool),
    ("ReportId", ColumnType::Long),
    ("AppGuardContainerId", ColumnType::Str),
    ("AdditionalFields", ColumnType::Str),
    ("InitiatingProcessSessionId", ColumnType::Long),
    ("IsInitiatingProcessRemoteSession", ColumnType::Bool),
    ("InitiatingProcessRemoteSessionDeviceName", ColumnType::Str),
    ("InitiatingProcessRemoteSessionIP", ColumnType::Str),
];

/// `DeviceRegistryEvents` (42 columns).
const DEVICE_REGISTRY_EVENTS: &[(&str, ColumnType)] = &[
    ("Timestamp", ColumnType::Time),
    ("DeviceId", ColumnType::Str),
    ("DeviceName", ColumnType::Str),
    ("ActionType", ColumnType::Str),
    ("RegistryKey", ColumnType::Str),
    ("RegistryValueType", ColumnType::Str),
    ("RegistryValueName", ColumnType::Str),
    ("RegistryValueData", ColumnType::Str),
    ("PreviousRegistryKey", ColumnType::Str),
    ("PreviousRegistryValueName", ColumnType::Str),
    ("PreviousRegistryValueData", ColumnType::Str),
    ("InitiatingProcessAccountDomain", ColumnType::Str),
    ("InitiatingProcessAccountName", ColumnType::Str),
    ("InitiatingProcessAccountSid", ColumnType::Str),
    ("InitiatingProcessAccountUpn", ColumnType::Str),
    ("InitiatingProcessAccountObjectId", ColumnType::Str),
    ("InitiatingProcessSHA1", ColumnType::Str),
    ("InitiatingProcessSHA256", ColumnType::Str),
    ("InitiatingProcessMD5", ColumnType::Str),
    ("InitiatingProcessFileName", ColumnType::Str),
    ("InitiatingProcessFileSize", ColumnType::Long),
    ("InitiatingProcessVersionInfoCompanyName", ColumnType::Str),
    ("InitiatingProcessVersionInfoProductName", ColumnType::Str),
    ("InitiatingProcessVersionInfoProductVersion", ColumnType::Str),
    ("InitiatingProcessVersionInfoInternalFileName", ColumnType::Str),
    ("InitiatingProcessVersionInfoOriginalFileName", ColumnType::Str),
    ("InitiatingProcessVersionInfoFileDescription", ColumnType::Str),
    ("InitiatingProcessId", ColumnType::Long),
    ("InitiatingProcessCommandLine", ColumnType::Str),
    ("InitiatingProcessCreationTime", ColumnType::Time),
    ("InitiatingProcessFolderPath", ColumnType::Str),
    ("InitiatingProcessParentId", ColumnType::Long),
    ("InitiatingProcessParentFileName", ColumnType::Str),
    ("InitiatingProcessParentCreationTime", ColumnType::Time),
    ("InitiatingProcessIntegrityLevel", ColumnType::Str),
    ("InitiatingProcessTokenElevation", ColumnType::Str),
    ("ReportId", ColumnType::Long),
    ("AppGuardContainerId", ColumnType::Str),
    ("InitiatingProcessSessionId", ColumnType::Long),
    ("IsInitiatingProcessRemoteSession", ColumnType::Bool),
    ("InitiatingProcessRemoteSessionDeviceName", ColumnType::Str),
    ("InitiatingProcessRemoteSessionIP", ColumnType::Str),
];

/// `DeviceInfo` (37 columns).
const DEVICE_INFO: &[(&str, ColumnType)] = &[
    ("Timestamp", ColumnType::Time),
    ("DeviceId", ColumnType::Str),
    ("DeviceName", ColumnType::Str),
    ("ClientVersion", ColumnType::Str),
    ("PublicIP", ColumnType::Str),
    ("OSArchitecture", ColumnType::Str),
    ("OSPlatform", ColumnType::Str),
    ("OSBuild", ColumnType::Long),
    ("IsAzureADJoined", ColumnType::Bool),
    ("JoinType", ColumnType::Str),
    ("AadDeviceId", ColumnType::Str),
    ("LoggedOnUsers", ColumnType::Str),
    ("RegistryDeviceTag", ColumnType::Str),
    ("OSVersion", ColumnType::Str),
    ("MachineGroup", ColumnType::Str),
    ("ReportId", ColumnType::Long),
    ("OnboardingStatus", ColumnType::Str),
    ("AdditionalFields", ColumnType::Str),
    ("DeviceCategory", ColumnType::Str),
    ("DeviceType", ColumnType::Str),
    ("DeviceSubtype", ColumnType::Str),
    ("Model", ColumnType::Str),
    ("Vendor", ColumnType::Str),
    ("OSDistribution", ColumnType::Str),
    ("OSVersionInfo", ColumnType::Str),
    ("MergedDeviceIds", ColumnType::Str),
    ("MergedToDeviceId", ColumnType::Str),
    ("IsInternetFacing", ColumnType::Bool),
    ("SensorHealthState", ColumnType::Str),
    ("IsExcluded", ColumnType::Bool),
    ("ExclusionReason", ColumnType::Str),
    ("ExposureLevel", ColumnType::Str),
    ("AssetValue", ColumnType::Str),
    ("DeviceManualTags", ColumnType::Str),
    ("DeviceDynamicTags", ColumnType::Str),
    ("ConnectivityType", ColumnType::Str),
    ("HostDeviceId", ColumnType::Str),
];
