//! Background rows, generated a column at a time: per batch, a few index vectors are drawn
//! (device, account, process image, ...) and every column is a `take` from a pool or a small
//! computation over those draws. Each batch has its own random stream (seed, table, batch
//! number), so batches can be made in any order, in parallel, and still be identical.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, DictionaryArray, Int32Array, Int64Array, RecordBatch, StringArray, UInt32Array,
};
use arrow::compute::{cast, take};
use arrow::datatypes::{DataType, Int32Type};
use arrow::error::ArrowError;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::pools::{Pools, REMOTE_PORTS};
use crate::schema::{ColumnType, PhysicalTypes, StringEncoding, Table};
use crate::vocab;

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// A random stream for one batch of one table.
pub(crate) fn batch_rng(seed: u64, table: Table, batch: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream((table as u64) << 48 | batch);
    rng
}

/// Index draws shared by the columns of one batch.
struct Draws {
    n: usize,
    times: Vec<i64>,
    report_ids: Vec<i64>,
    ent: Entities,
    pid: Vec<i64>,
    init_pid: Vec<i64>,
    parent_pid: Vec<i64>,
    init_age: Vec<i64>,
    parent_age: Vec<i64>,
    signer: UInt32Array,
    rng: ChaCha8Rng,
}

fn u32s(v: Vec<u32>) -> UInt32Array {
    UInt32Array::from(v)
}

/// Who and what each row of a batch is about: its device, accounts, process images and
/// command lines (pool indexes), drawn together so they agree (an account is mostly its
/// device's primary user, a command line belongs to its image). Shared by the Defender lake and
/// the documented tables.
#[derive(Debug)]
pub(crate) struct Entities {
    pub(crate) device: UInt32Array,
    pub(crate) account: UInt32Array,
    pub(crate) init_account: UInt32Array,
    pub(crate) image: UInt32Array,
    pub(crate) init_image: UInt32Array,
    pub(crate) parent_image: UInt32Array,
    pub(crate) command: UInt32Array,
    pub(crate) init_command: UInt32Array,
}

impl Entities {
    /// Draws `n` rows' entities from `rng`.
    pub(crate) fn draw(pools: &Pools, rng: &mut ChaCha8Rng, n: usize) -> Self {
        let devices = pools.devices.id.sampler.many(rng, n);
        // Most events on a device run as its primary user or a service account.
        let accounts: Vec<u32> = devices
            .iter()
            .map(|&d| {
                if rng.random_bool(0.55) {
                    pools.devices.primary_account[d as usize]
                } else {
                    pools.accounts.sampler.sample(rng)
                }
            })
            .collect();
        let init_accounts: Vec<u32> = accounts.iter().map(|&a| if rng.random_bool(0.8) { a } else { 0 }).collect();
        let images = pools.images.sampler.many(rng, n);
        let init_images = pools.images.initiating.many(rng, n);
        let parent_images = pools.images.initiating.many(rng, n);
        let pick_command = |rng: &mut ChaCha8Rng, img: u32| {
            let i = img as usize;
            pools.images.cmd_start[i] + rng.random_range(0..pools.images.cmd_count[i].max(1))
        };
        let commands: Vec<u32> = images.iter().map(|&i| pick_command(rng, i)).collect();
        let init_commands: Vec<u32> = init_images.iter().map(|&i| pick_command(rng, i)).collect();
        Self {
            device: u32s(devices),
            account: u32s(accounts),
            init_account: u32s(init_accounts),
            image: u32s(images),
            init_image: u32s(init_images),
            parent_image: u32s(parent_images),
            command: u32s(commands),
            init_command: u32s(init_commands),
        }
    }
}

impl Draws {
    fn new(pools: &Pools, mut rng: ChaCha8Rng, times: Vec<i64>, first_report_id: i64) -> Self {
        let n = times.len();
        let ent = Entities::draw(pools, &mut rng, n);
        let mut pid = || (0..n).map(|_| 4 * i64::from(rng.next_u32() % 16_000 + 1)).collect::<Vec<i64>>();
        let (p1, p2, p3) = (pid(), pid(), pid());
        let init_age = (0..n).map(|_| rng.random_range(1..86_400) * NANOS_PER_SECOND).collect();
        let parent_age = (0..n).map(|_| rng.random_range(86_400..864_000) * NANOS_PER_SECOND).collect();
        let signer = u32s(pools.signers.sampler.many(&mut rng, n));
        Self {
            n,
            report_ids: (0..n as i64).map(|i| first_report_id + i).collect(),
            times,
            ent,
            pid: p1,
            init_pid: p2,
            parent_pid: p3,
            init_age,
            parent_age,
            signer,
            rng,
        }
    }
}

/// Builds background batches for one generator.
#[derive(Debug)]
pub(crate) struct Background<'a> {
    pub(crate) pools: &'a Pools,
    pub(crate) physical: &'a PhysicalTypes,
}

impl Background<'_> {
    /// A batch of `times.len()` rows of `table` with the given (sorted) timestamps.
    pub(crate) fn batch(
        &self,
        table: Table,
        rng: ChaCha8Rng,
        times: Vec<i64>,
        first_report_id: i64,
    ) -> Result<RecordBatch, ArrowError> {
        let mut d = Draws::new(self.pools, rng, times, first_report_id);
        let schema = table.schema(self.physical);
        let mut columns = Vec::with_capacity(schema.fields().len());
        for (name, ty) in table.columns() {
            let array = self.column(table, name, *ty, &mut d)?;
            columns.push(array);
        }
        RecordBatch::try_new(schema, columns)
    }

    /// Strings picked from `pool` by `idx`, in the configured layout. Dictionaries keep the
    /// pool as their values without unpacking it.
    fn pick(&self, pool: &StringArray, idx: &UInt32Array) -> Result<ArrayRef, ArrowError> {
        match self.physical.strings {
            StringEncoding::Dictionary => {
                let keys = cast(idx, &DataType::Int32)?;
                let keys = keys
                    .as_any()
                    .downcast_ref::<Int32Array>()
                    .cloned()
                    .unwrap_or_else(|| Int32Array::from(Vec::<i32>::new()));
                let values: ArrayRef = Arc::new(pool.clone());
                Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(keys, values)?))
            }
            StringEncoding::Utf8 => take(pool, idx, None),
            StringEncoding::LargeUtf8 => cast(&take(pool, idx, None)?, &DataType::LargeUtf8),
            StringEncoding::Utf8View => cast(&take(pool, idx, None)?, &DataType::Utf8View),
        }
    }

    fn uniform(&self, rng: &mut ChaCha8Rng, n: usize, pool_len: usize) -> UInt32Array {
        let len = u32::try_from(pool_len.max(1)).unwrap_or(u32::MAX);
        u32s((0..n).map(|_| rng.next_u32() % len).collect())
    }

    fn time(&self, ns: &[i64]) -> ArrayRef {
        crate::time::timestamp_array(ns.iter().map(|v| Some(*v)), self.physical)
    }

    fn column(&self, table: Table, name: &str, ty: ColumnType, d: &mut Draws) -> Result<ArrayRef, ArrowError> {
        let p = self.pools;
        let n = d.n;
        let img = &p.images;
        let acc = &p.accounts;
        // Per-row derived times.
        let minus = |a: &[i64], b: &[i64]| a.iter().zip(b).map(|(x, y)| x - y).collect::<Vec<i64>>();
        let by_index = |values: &[i64], idx: &UInt32Array| -> ArrayRef {
            Arc::new(Int64Array::from(idx.values().iter().map(|&i| values[i as usize]).collect::<Vec<_>>()))
        };
        let s = |pool: &StringArray, idx: &UInt32Array| self.pick(pool, idx);
        Ok(match name {
            "Timestamp" | "ProcessCreationTime" => self.time(&d.times),
            "InitiatingProcessCreationTime" => self.time(&minus(&d.times, &d.init_age)),
            "InitiatingProcessParentCreationTime" => self.time(&minus(&minus(&d.times, &d.init_age), &d.parent_age)),
            "DeviceId" => s(p.devices.id.strings(), &d.ent.device)?,
            "DeviceName" => s(&p.devices.name, &d.ent.device)?,
            "ReportId" => Arc::new(Int64Array::from(d.report_ids.clone())),
            "ActionType" => match table {
                Table::DeviceProcessEvents => self.fixed(n, "ProcessCreated")?,
                Table::DeviceNetworkEvents => {
                    let idx = u32s(p.network_action.sampler.many(&mut d.rng, n));
                    s(p.network_action.strings(), &idx)?
                }
                Table::DeviceFileEvents => {
                    let idx = u32s(p.file_action.sampler.many(&mut d.rng, n));
                    s(p.file_action.strings(), &idx)?
                }
                _ => {
                    let idx = u32s(p.registry_action.sampler.many(&mut d.rng, n));
                    s(p.registry_action.strings(), &idx)?
                }
            },
            // The process that was created (process table) or the file acted on.
            "FileName" | "FolderPath" if table != Table::DeviceProcessEvents => {
                let idx = u32s(p.file_name.sampler.many(&mut d.rng, n));
                if name == "FileName" { s(p.file_name.strings(), &idx)? } else { s(&p.file_path, &idx)? }
            }
            "FileName" => s(&img.file_name, &d.ent.image)?,
            "FolderPath" => s(&img.folder_path, &d.ent.image)?,
            "SHA1" => s(&img.sha1, &d.ent.image)?,
            "SHA256" => s(&img.sha256, &d.ent.image)?,
            "MD5" => s(&img.md5, &d.ent.image)?,
            "FileSize" => by_index(&img.size, &d.ent.image),
            "ProcessVersionInfoCompanyName" => s(&img.company, &d.ent.image)?,
            "ProcessVersionInfoProductName" => s(&img.product, &d.ent.image)?,
            "ProcessVersionInfoProductVersion" => s(&img.version, &d.ent.image)?,
            "ProcessVersionInfoInternalFileName" => s(&img.internal_name, &d.ent.image)?,
            "ProcessVersionInfoOriginalFileName" => s(&img.original_name, &d.ent.image)?,
            "ProcessVersionInfoFileDescription" => s(&img.description, &d.ent.image)?,
            "ProcessId" => Arc::new(Int64Array::from(d.pid.clone())),
            "ProcessCommandLine" => s(&img.command_lines, &d.ent.command)?,
            "ProcessIntegrityLevel" | "InitiatingProcessIntegrityLevel" => {
                let idx = u32s(p.integrity.sampler.many(&mut d.rng, n));
                s(p.integrity.strings(), &idx)?
            }
            "ProcessTokenElevation" | "InitiatingProcessTokenElevation" => {
                let idx = u32s(p.elevation.sampler.many(&mut d.rng, n));
                s(p.elevation.strings(), &idx)?
            }
            "AccountDomain" => s(&acc.domain, &d.ent.account)?,
            "AccountName" => s(&acc.name, &d.ent.account)?,
            "AccountSid" => s(&acc.sid, &d.ent.account)?,
            "AccountUpn" => s(&acc.upn, &d.ent.account)?,
            "AccountObjectId" => s(&acc.object_id, &d.ent.account)?,
            "LogonId" => by_index(&acc.logon_id, &d.ent.account),
            "InitiatingProcessAccountDomain" => s(&acc.domain, &d.ent.init_account)?,
            "InitiatingProcessAccountName" => s(&acc.name, &d.ent.init_account)?,
            "InitiatingProcessAccountSid" => s(&acc.sid, &d.ent.init_account)?,
            "InitiatingProcessAccountUpn" => s(&acc.upn, &d.ent.init_account)?,
            "InitiatingProcessAccountObjectId" => s(&acc.object_id, &d.ent.init_account)?,
            "InitiatingProcessLogonId" => by_index(&acc.logon_id, &d.ent.init_account),
            "InitiatingProcessSHA1" => s(&img.sha1, &d.ent.init_image)?,
            "InitiatingProcessSHA256" => s(&img.sha256, &d.ent.init_image)?,
            "InitiatingProcessMD5" => s(&img.md5, &d.ent.init_image)?,
            "InitiatingProcessFileName" => s(&img.file_name, &d.ent.init_image)?,
            "InitiatingProcessFileSize" => by_index(&img.size, &d.ent.init_image),
            "InitiatingProcessVersionInfoCompanyName" => s(&img.company, &d.ent.init_image)?,
            "InitiatingProcessVersionInfoProductName" => s(&img.product, &d.ent.init_image)?,
            "InitiatingProcessVersionInfoProductVersion" => s(&img.version, &d.ent.init_image)?,
            "InitiatingProcessVersionInfoInternalFileName" => s(&img.internal_name, &d.ent.init_image)?,
            "InitiatingProcessVersionInfoOriginalFileName" => s(&img.original_name, &d.ent.init_image)?,
            "InitiatingProcessVersionInfoFileDescription" => s(&img.description, &d.ent.init_image)?,
            "InitiatingProcessId" => Arc::new(Int64Array::from(d.init_pid.clone())),
            "InitiatingProcessCommandLine" => s(&img.command_lines, &d.ent.init_command)?,
            "InitiatingProcessFolderPath" => s(&img.folder_path, &d.ent.init_image)?,
            "InitiatingProcessParentId" => Arc::new(Int64Array::from(d.parent_pid.clone())),
            "InitiatingProcessParentFileName" => s(&img.file_name, &d.ent.parent_image)?,
            "InitiatingProcessSignerType" => s(&img.signer_type, &d.ent.init_image)?,
            "InitiatingProcessSignatureStatus" => s(&img.signature_status, &d.ent.init_image)?,
            "InitiatingProcessSessionId" => {
                Arc::new(Int64Array::from((0..n).map(|_| i64::from(d.rng.random_range(0..3u8))).collect::<Vec<_>>()))
            }
            "IsInitiatingProcessRemoteSession" => {
                Arc::new(BooleanArray::from((0..n).map(|_| d.rng.random_bool(0.03)).collect::<Vec<_>>()))
            }
            "InitiatingProcessRemoteSessionDeviceName"
            | "InitiatingProcessRemoteSessionIP"
            | "AppGuardContainerId"
            | "SensitivityLabel"
            | "SensitivitySubLabel"
            | "ShareName"
            | "RequestAccountName"
            | "RequestAccountDomain"
            | "RequestAccountSid"
            | "RequestSourceIP"
            | "PreviousFolderPath"
            | "PreviousFileName"
            | "FileOriginReferrerUrl"
            | "FileOriginIP"
            | "PreviousRegistryKey"
            | "PreviousRegistryValueName"
            | "PreviousRegistryValueData"
            | "RegistryDeviceTag"
            | "ExclusionReason"
            | "MergedDeviceIds"
            | "MergedToDeviceId"
            | "HostDeviceId"
            | "DeviceSubtype"
            | "Model"
            | "Vendor"
            | "OSDistribution"
            | "OSVersionInfo"
            | "DeviceManualTags"
            | "DeviceDynamicTags" => {
                // Mostly empty in real data.
                let pool = StringArray::from(vec![None, Some("")]);
                let idx = self.uniform(&mut d.rng, n, 2);
                s(&pool, &idx)?
            }
            "AdditionalFields" => {
                let idx = u32s(p.additional_fields.sampler.many(&mut d.rng, n));
                s(p.additional_fields.strings(), &idx)?
            }
            // Network
            "RemoteIP" => {
                let idx = u32s(p.remote_ip.sampler.many(&mut d.rng, n));
                s(p.remote_ip.strings(), &idx)?
            }
            "RemotePort" => Arc::new(Int32Array::from(
                (0..n).map(|_| REMOTE_PORTS[p.remote_port.sample(&mut d.rng) as usize].0).collect::<Vec<_>>(),
            )),
            "RemoteUrl" => {
                let idx = u32s(p.remote_url.sampler.many(&mut d.rng, n));
                s(p.remote_url.strings(), &idx)?
            }
            "LocalIP" => s(&p.devices.local_ip, &d.ent.device)?,
            "LocalPort" | "RequestSourcePort" => {
                Arc::new(Int32Array::from((0..n).map(|_| d.rng.random_range(49_152..65_535)).collect::<Vec<_>>()))
            }
            "Protocol" => {
                let idx = u32s(p.protocol.sampler.many(&mut d.rng, n));
                s(p.protocol.strings(), &idx)?
            }
            "LocalIPType" => {
                let pool = StringArray::from(vec!["Private"]);
                s(&pool, &u32s(vec![0; n]))?
            }
            "RemoteIPType" => {
                let idx = u32s(p.ip_type_remote.sampler.many(&mut d.rng, n));
                s(p.ip_type_remote.strings(), &idx)?
            }
            // Certificates: the signer is drawn per row; the file is the drawn image.
            "IsSigned" | "IsTrusted" => Arc::new(BooleanArray::from(vec![true; n])),
            "SignatureType" => {
                let pool = StringArray::from(vec!["Embedded", "Catalog"]);
                let idx = self.uniform(&mut d.rng, n, 2);
                s(&pool, &idx)?
            }
            "Signer"
            | "SignerHash"
            | "Issuer"
            | "IssuerHash"
            | "CertificateSerialNumber"
            | "CrlDistributionPointUrls"
            | "IsRootSignerMicrosoft"
            | "CertificateCreationTime"
            | "CertificateExpirationTime"
            | "CertificateCountersignatureTime" => {
                let sg = &p.signers;
                let signer_idx = &d.signer;
                match name {
                    "Signer" => s(&sg.signer, signer_idx)?,
                    "SignerHash" => s(&sg.signer_hash, signer_idx)?,
                    "Issuer" => s(&sg.issuer, signer_idx)?,
                    "IssuerHash" => s(&sg.issuer_hash, signer_idx)?,
                    "CertificateSerialNumber" => s(&sg.serial, signer_idx)?,
                    "CrlDistributionPointUrls" => s(&sg.crl, signer_idx)?,
                    "IsRootSignerMicrosoft" => Arc::new(BooleanArray::from(
                        signer_idx.values().iter().map(|&i| sg.is_microsoft[i as usize]).collect::<Vec<_>>(),
                    )),
                    "CertificateCreationTime" => {
                        self.time(&d.times.iter().map(|t| t - 400 * 86_400 * NANOS_PER_SECOND).collect::<Vec<_>>())
                    }
                    "CertificateExpirationTime" => {
                        self.time(&d.times.iter().map(|t| t + 300 * 86_400 * NANOS_PER_SECOND).collect::<Vec<_>>())
                    }
                    _ => self.time(&d.times.iter().map(|t| t - 30 * 86_400 * NANOS_PER_SECOND).collect::<Vec<_>>()),
                }
            }
            // Files
            "FileOriginUrl" => {
                let idx = u32s(p.file_origin_url.sampler.many(&mut d.rng, n));
                s(p.file_origin_url.strings(), &idx)?
            }
            "RequestProtocol" => {
                let pool = StringArray::from(vec!["Local", "SMB", "Unknown"]);
                let idx = self.uniform(&mut d.rng, n, 3);
                s(&pool, &idx)?
            }
            "IsAzureInfoProtectionApplied" | "IsExcluded" | "IsInternetFacing" => {
                Arc::new(BooleanArray::from((0..n).map(|_| d.rng.random_bool(0.02)).collect::<Vec<_>>()))
            }
            // Registry
            "RegistryKey" => {
                let idx = u32s(p.registry_key.sampler.many(&mut d.rng, n));
                s(p.registry_key.strings(), &idx)?
            }
            "RegistryValueName" => {
                let idx = u32s(p.registry_value_name.sampler.many(&mut d.rng, n));
                s(p.registry_value_name.strings(), &idx)?
            }
            "RegistryValueType" => {
                let idx = u32s(p.registry_value_type.sampler.many(&mut d.rng, n));
                s(p.registry_value_type.strings(), &idx)?
            }
            "RegistryValueData" => {
                let idx = u32s(p.registry_value_data.sampler.many(&mut d.rng, n));
                s(p.registry_value_data.strings(), &idx)?
            }
            // Device inventory
            "ClientVersion" => self.fixed(n, "10.8760.22621.3527")?,
            "PublicIP" => s(&p.devices.public_ip, &d.ent.device)?,
            "OSArchitecture" => self.fixed(n, "64-bit")?,
            "OSPlatform" | "OSVersion" | "OSBuild" => {
                let os: Vec<usize> = d.ent.device.values().iter().map(|&i| p.devices.os[i as usize] as usize).collect();
                match name {
                    "OSPlatform" => self.owned(os.iter().map(|&o| Some(vocab::OS_PLATFORMS[o].0)))?,
                    "OSVersion" => self.owned(os.iter().map(|&o| Some(vocab::OS_PLATFORMS[o].1)))?,
                    _ => Arc::new(Int64Array::from(os.iter().map(|&o| vocab::OS_PLATFORMS[o].2).collect::<Vec<_>>())),
                }
            }
            "IsAzureADJoined" => Arc::new(BooleanArray::from(vec![true; n])),
            "JoinType" => self.fixed(n, "Hybrid Azure AD Join")?,
            "AadDeviceId" => s(&p.devices.aad_device_id, &d.ent.device)?,
            "LoggedOnUsers" => {
                let users: Vec<Option<String>> = d
                    .ent
                    .device
                    .values()
                    .iter()
                    .map(|&dev| {
                        let a = p.devices.primary_account[dev as usize] as usize;
                        Some(format!(
                            r#"[{{"UserName":"{}","DomainName":"CONTOSO","Sid":"{}"}}]"#,
                            acc.name.value(a),
                            acc.sid.value(a)
                        ))
                    })
                    .collect();
                self.owned(users.iter().map(Option::as_deref))?
            }
            "MachineGroup" => self.fixed(n, "Workstations")?,
            "OnboardingStatus" => self.fixed(n, "Onboarded")?,
            "DeviceCategory" => self.fixed(n, "Endpoint")?,
            "DeviceType" => self.fixed(n, "Workstation")?,
            "SensorHealthState" => self.fixed(n, "Active")?,
            "ExposureLevel" => {
                let pool = StringArray::from(vec!["Low", "Medium", "High"]);
                let idx = self.uniform(&mut d.rng, n, 3);
                s(&pool, &idx)?
            }
            "AssetValue" => self.fixed(n, "Normal")?,
            "ConnectivityType" => self.fixed(n, "Streamlined")?,
            other => {
                return Err(ArrowError::InvalidArgumentError(format!(
                    "testdata has no generator for {table}.{other} ({ty:?}); add one in background.rs"
                )));
            }
        })
    }

    fn fixed(&self, n: usize, value: &str) -> Result<ArrayRef, ArrowError> {
        self.pick(&StringArray::from(vec![value]), &u32s(vec![0; n]))
    }

    fn owned<'s>(&self, values: impl Iterator<Item = Option<&'s str>>) -> Result<ArrayRef, ArrowError> {
        string_array(values, self.physical)
    }
}

/// Strings given row by row, in the configured layout.
pub(crate) fn string_array<'s>(
    values: impl Iterator<Item = Option<&'s str>>,
    physical: &PhysicalTypes,
) -> Result<ArrayRef, ArrowError> {
    let array = StringArray::from_iter(values);
    match physical.strings {
        StringEncoding::Utf8 => Ok(Arc::new(array)),
        StringEncoding::LargeUtf8 => cast(&array, &DataType::LargeUtf8),
        StringEncoding::Utf8View => cast(&array, &DataType::Utf8View),
        StringEncoding::Dictionary => {
            cast(&array, &DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)))
        }
    }
}
