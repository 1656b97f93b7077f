//! Deterministic value pools built once per seed: devices, accounts, process images with their
//! hashes, destinations, signers. Background rows pick from these by index, so a batch is a
//! handful of `take` kernels, and every background string value can be enumerated (which is
//! how the tests prove no background row matches a hunting rule).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, StringArray};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::sample::Sampler;
use crate::vocab;

/// A pool of strings (`None` is a null) with a sampler over it.
#[derive(Debug)]
pub(crate) struct StrPool {
    pub(crate) values: ArrayRef,
    pub(crate) sampler: Sampler,
}

impl StrPool {
    pub(crate) fn new(values: Vec<Option<String>>, sampler: Sampler) -> Self {
        Self { values: Arc::new(StringArray::from(values)), sampler }
    }

    pub(crate) fn uniform(values: Vec<Option<String>>) -> Self {
        let n = values.len();
        Self::new(values, Sampler::uniform(n))
    }

    pub(crate) fn weighted(values: Vec<(Option<String>, f64)>) -> Self {
        let weights: Vec<f64> = values.iter().map(|(_, w)| *w).collect();
        Self::new(values.into_iter().map(|(v, _)| v).collect(), Sampler::weighted(&weights))
    }

    /// Fixed strings, equally likely.
    pub(crate) fn of(values: &[&str]) -> Self {
        Self::uniform(values.iter().map(|s| Some((*s).to_owned())).collect())
    }

    pub(crate) fn strings(&self) -> &StringArray {
        // Built from `StringArray::from` above.
        self.values.as_any().downcast_ref::<StringArray>().expect("a string pool holds strings")
    }
}

/// Per-device facts.
#[derive(Debug)]
pub(crate) struct Devices {
    pub(crate) id: StrPool,
    pub(crate) name: StringArray,
    pub(crate) local_ip: StringArray,
    pub(crate) public_ip: StringArray,
    /// The account most often active on the device.
    pub(crate) primary_account: Vec<u32>,
    /// Index into `vocab::OS_PLATFORMS`.
    pub(crate) os: Vec<u32>,
    pub(crate) aad_device_id: StringArray,
}

/// Accounts (users and services).
#[derive(Debug)]
pub(crate) struct Accounts {
    pub(crate) domain: StringArray,
    pub(crate) name: StringArray,
    pub(crate) sid: StringArray,
    pub(crate) upn: StringArray,
    pub(crate) object_id: StringArray,
    pub(crate) logon_id: Vec<i64>,
    pub(crate) sampler: Sampler,
}

/// Process images with their hashes and version information.
#[derive(Debug)]
pub(crate) struct Images {
    pub(crate) file_name: StringArray,
    pub(crate) folder_path: StringArray,
    pub(crate) sha1: StringArray,
    pub(crate) sha256: StringArray,
    pub(crate) md5: StringArray,
    pub(crate) size: Vec<i64>,
    pub(crate) company: StringArray,
    pub(crate) product: StringArray,
    pub(crate) version: StringArray,
    pub(crate) internal_name: StringArray,
    pub(crate) original_name: StringArray,
    pub(crate) description: StringArray,
    pub(crate) signer_type: StringArray,
    pub(crate) signature_status: StringArray,
    /// Command lines of image `i`: `command_lines[cmd_start[i] .. cmd_start[i] + cmd_count[i]]`.
    pub(crate) command_lines: StringArray,
    pub(crate) cmd_start: Vec<u32>,
    pub(crate) cmd_count: Vec<u32>,
    /// Which images run, and which start other processes.
    pub(crate) sampler: Sampler,
    pub(crate) initiating: Sampler,
}

/// Certificate facts per signer.
#[derive(Debug)]
pub(crate) struct Signers {
    pub(crate) signer: StringArray,
    pub(crate) signer_hash: StringArray,
    pub(crate) issuer: StringArray,
    pub(crate) issuer_hash: StringArray,
    pub(crate) serial: StringArray,
    pub(crate) crl: StringArray,
    pub(crate) is_microsoft: Vec<bool>,
    pub(crate) sampler: Sampler,
}

/// All pools of one generator.
#[derive(Debug)]
pub(crate) struct Pools {
    pub(crate) devices: Devices,
    pub(crate) accounts: Accounts,
    pub(crate) images: Images,
    pub(crate) signers: Signers,
    pub(crate) remote_url: StrPool,
    pub(crate) remote_ip: StrPool,
    pub(crate) remote_port: Sampler,
    pub(crate) network_action: StrPool,
    pub(crate) protocol: StrPool,
    pub(crate) ip_type_remote: StrPool,
    pub(crate) integrity: StrPool,
    pub(crate) elevation: StrPool,
    pub(crate) additional_fields: StrPool,
    pub(crate) file_action: StrPool,
    /// Files written in the background: `file_name[i]` lives at `file_path[i]`.
    pub(crate) file_name: StrPool,
    pub(crate) file_path: StringArray,
    pub(crate) file_origin_url: StrPool,
    pub(crate) registry_action: StrPool,
    pub(crate) registry_key: StrPool,
    pub(crate) registry_value_name: StrPool,
    pub(crate) registry_value_type: StrPool,
    pub(crate) registry_value_data: StrPool,
}

/// The ports background connections use, by frequency.
pub(crate) const REMOTE_PORTS: &[(i32, f64)] =
    &[(443, 70.0), (80, 10.0), (53, 8.0), (445, 3.0), (3389, 1.0), (135, 2.0), (8080, 2.0), (389, 2.0), (88, 2.0)];

fn hex(rng: &mut impl RngCore, bytes: usize) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes * 2);
    for _ in 0..bytes {
        let b = rng.next_u32() as u8;
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

fn guid(rng: &mut impl RngCore) -> String {
    let h = hex(rng, 16);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

fn strings(v: Vec<String>) -> StringArray {
    StringArray::from(v)
}

fn opt_strings(v: Vec<Option<String>>) -> StringArray {
    StringArray::from(v)
}

impl Pools {
    /// Builds every pool from `seed`, for `devices` devices.
    pub(crate) fn new(seed: u64, devices: usize) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x706f_6f6c_735f_7631);
        let accounts = Self::accounts(&mut rng, devices);
        let devices = Self::devices(&mut rng, devices, accounts.name.len());
        let images = Self::images(&mut rng);
        let signers = Self::signers(&mut rng);
        let remote_url = {
            let mut values = vec![(None, 25.0), (Some(String::new()), 5.0)];
            for (domain, w) in vocab::DOMAINS {
                for (i, shape) in vocab::URL_SHAPES.iter().enumerate() {
                    let weight = f64::from(*w) / (i as f64 + 1.0);
                    values.push((Some(shape.replace("{}", domain)), weight));
                }
            }
            StrPool::weighted(values)
        };
        let remote_ip = {
            let mut values = Vec::new();
            for _ in 0..2048 {
                let a = [13u8, 20, 40, 52, 104, 142, 151, 172, 185, 204][rng.random_range(0..10)];
                values.push(Some(format!("{a}.{}.{}.{}", rng.random::<u8>(), rng.random::<u8>(), rng.random::<u8>())));
            }
            for i in 0..64 {
                values.push(Some(format!("10.{}.{}.{}", i % 8, rng.random::<u8>(), 1 + rng.random::<u8>() % 250)));
            }
            values.push(Some("fe80::1c2d:3e4f:5a6b:7c8d".into()));
            let n = values.len();
            StrPool::new(values, Sampler::zipf(n, 0.8))
        };
        let additional = [
            None,
            Some(r#"{"IsLocalLogon":true}"#.to_owned()),
            Some(r#"{"ProcessCreationFlags":0}"#.to_owned()),
            Some(r#"{"Direction":"Out","TlsVersion":"1.3"}"#.to_owned()),
            Some("[]".to_owned()),
        ];
        Self {
            devices,
            accounts,
            images,
            signers,
            remote_url,
            remote_ip,
            remote_port: Sampler::weighted(&REMOTE_PORTS.iter().map(|(_, w)| *w).collect::<Vec<_>>()),
            network_action: StrPool::weighted(vec![
                (Some("ConnectionSuccess".into()), 80.0),
                (Some("ConnectionFailed".into()), 6.0),
                (Some("ConnectionRequest".into()), 8.0),
                (Some("InboundConnectionAccepted".into()), 4.0),
                (Some("ListeningConnectionCreated".into()), 2.0),
            ]),
            protocol: StrPool::weighted(vec![(Some("Tcp".into()), 85.0), (Some("Udp".into()), 15.0)]),
            ip_type_remote: StrPool::weighted(vec![
                (Some("Public".into()), 75.0),
                (Some("Private".into()), 22.0),
                (Some("Loopback".into()), 3.0),
            ]),
            integrity: StrPool::weighted(vec![
                (Some("Medium".into()), 60.0),
                (Some("System".into()), 30.0),
                (Some("High".into()), 8.0),
                (Some("Low".into()), 2.0),
            ]),
            elevation: StrPool::weighted(vec![
                (Some("TokenElevationTypeDefault".into()), 70.0),
                (Some("TokenElevationTypeLimited".into()), 25.0),
                (Some("TokenElevationTypeFull".into()), 5.0),
            ]),
            additional_fields: StrPool::weighted(additional.into_iter().zip([70.0, 10.0, 10.0, 5.0, 5.0]).collect()),
            file_action: StrPool::weighted(vec![
                (Some("FileCreated".into()), 50.0),
                (Some("FileModified".into()), 35.0),
                (Some("FileRenamed".into()), 8.0),
                (Some("FileDeleted".into()), 7.0),
            ]),
            file_name: StrPool::uniform(
                vocab::FILE_FOLDERS
                    .iter()
                    .flat_map(|_| vocab::FILE_NAMES.iter().map(|n| Some((*n).to_owned())))
                    .collect(),
            ),
            file_path: strings(
                vocab::FILE_FOLDERS
                    .iter()
                    .flat_map(|f| vocab::FILE_NAMES.iter().map(move |n| format!("{f}{n}")))
                    .collect(),
            ),
            file_origin_url: StrPool::weighted(vec![
                (None, 90.0),
                (Some("https://sharepoint.contoso.com/sites/finance/report.docx".into()), 5.0),
                (Some("https://github.com/notepad-plus-plus/notepad-plus-plus/releases".into()), 5.0),
            ]),
            registry_action: StrPool::weighted(vec![
                (Some("RegistryValueSet".into()), 70.0),
                (Some("RegistryKeyCreated".into()), 15.0),
                (Some("RegistryValueDeleted".into()), 10.0),
                (Some("RegistryKeyDeleted".into()), 5.0),
            ]),
            registry_key: StrPool::of(vocab::REGISTRY_KEYS),
            registry_value_name: StrPool::of(vocab::REGISTRY_VALUE_NAMES),
            registry_value_type: StrPool::of(vocab::REGISTRY_VALUE_TYPES),
            registry_value_data: StrPool::uniform(vec![
                Some("0".into()),
                Some("1".into()),
                Some(r"C:\Program Files\Microsoft OneDrive\OneDrive.exe /background".into()),
                Some("10.0.22621.3527".into()),
                None,
            ]),
        }
    }

    fn accounts(rng: &mut ChaCha8Rng, devices: usize) -> Accounts {
        let users = (devices + devices / 2).max(4);
        let mut domain = Vec::new();
        let mut name = Vec::new();
        let mut sid = Vec::new();
        let mut upn = Vec::new();
        let mut object_id = Vec::new();
        let mut logon_id = Vec::new();
        let domain_sid = format!("S-1-5-21-{}-{}-{}", rng.random::<u32>(), rng.random::<u32>(), rng.random::<u32>());
        for (i, svc) in vocab::SERVICE_ACCOUNTS.iter().enumerate() {
            let builtin = i < 3;
            domain.push(Some(if builtin { "nt authority".to_owned() } else { "CONTOSO".to_owned() }));
            name.push(Some((*svc).to_owned()));
            sid.push(Some(match i {
                0 => "S-1-5-18".to_owned(),
                1 => "S-1-5-19".to_owned(),
                2 => "S-1-5-20".to_owned(),
                _ => format!("{domain_sid}-{}", 5000 + i),
            }));
            upn.push(None);
            object_id.push(None);
            logon_id.push(if builtin { 999 } else { rng.random_range(100_000..10_000_000) });
        }
        for i in 0..users {
            let given = vocab::GIVEN[i % vocab::GIVEN.len()];
            let family = vocab::FAMILY[(i / vocab::GIVEN.len() + i) % vocab::FAMILY.len()];
            let login =
                format!("{}{}{}", &given[..1], family, if i >= 200 { (i / 200).to_string() } else { String::new() });
            domain.push(Some("CONTOSO".to_owned()));
            sid.push(Some(format!("{domain_sid}-{}", 1100 + i)));
            // A share of accounts are local and have no UPN.
            upn.push(if i % 17 == 5 { None } else { Some(format!("{given}.{family}@contoso.com")) });
            object_id.push(if i % 17 == 5 { None } else { Some(guid(rng)) });
            name.push(Some(login));
            logon_id.push(rng.random_range(100_000..100_000_000));
        }
        let n = name.len();
        // Service accounts run most processes.
        let mut weights = vec![40.0, 6.0, 6.0, 2.0, 2.0];
        weights.extend((0..users).map(|k| 30.0 / (k as f64 + 1.0).powf(0.6)));
        debug_assert_eq!(weights.len(), n);
        Accounts {
            domain: opt_strings(domain),
            name: opt_strings(name),
            sid: opt_strings(sid),
            upn: opt_strings(upn),
            object_id: opt_strings(object_id),
            logon_id,
            sampler: Sampler::weighted(&weights),
        }
    }

    fn devices(rng: &mut ChaCha8Rng, n: usize, accounts: usize) -> Devices {
        let n = n.max(1);
        let mut id = Vec::with_capacity(n);
        let mut name = Vec::with_capacity(n);
        let mut local_ip = Vec::with_capacity(n);
        let mut public_ip = Vec::with_capacity(n);
        let mut primary = Vec::with_capacity(n);
        let mut os = Vec::with_capacity(n);
        let mut aad = Vec::with_capacity(n);
        let users = accounts - vocab::SERVICE_ACCOUNTS.len();
        for i in 0..n {
            id.push(Some(hex(rng, 20)));
            let prefix = vocab::DEVICE_PREFIXES[i % vocab::DEVICE_PREFIXES.len()];
            let domain = vocab::DEVICE_DOMAINS[i % vocab::DEVICE_DOMAINS.len()];
            name.push(format!("{prefix}-{:04}.{domain}", i + 1));
            local_ip.push(format!("10.{}.{}.{}", (i / 62500) % 256, (i / 250) % 250, 1 + i % 250));
            public_ip.push(format!("203.0.113.{}", 1 + i % 250));
            primary.push(u32::try_from(vocab::SERVICE_ACCOUNTS.len() + i % users.max(1)).unwrap_or(0));
            os.push(u32::try_from(rng.random_range(0..vocab::OS_PLATFORMS.len())).unwrap_or(0));
            aad.push(guid(rng));
        }
        Devices {
            id: StrPool::new(id, Sampler::zipf(n, 1.05)),
            name: strings(name),
            local_ip: strings(local_ip),
            public_ip: strings(public_ip),
            primary_account: primary,
            os,
            aad_device_id: strings(aad),
        }
    }

    fn images(rng: &mut ChaCha8Rng) -> Images {
        let procs = vocab::PROCESSES;
        let opt = |s: &str| if s.is_empty() { None } else { Some(s.to_owned()) };
        let mut command_lines = Vec::new();
        let mut cmd_start = Vec::new();
        let mut cmd_count = Vec::new();
        let mut sha256 = Vec::new();
        for p in procs {
            let path = format!("{}{}", p.folder, p.file_name);
            cmd_start.push(u32::try_from(command_lines.len()).unwrap_or(0));
            cmd_count.push(u32::try_from(p.args.len()).unwrap_or(1));
            for a in p.args {
                command_lines.push(if a.is_empty() { format!("\"{path}\"") } else { format!("\"{path}\" {a}") });
            }
            // SHA256 is often empty in Defender data (the docs say to prefer SHA1).
            sha256.push(if rng.random_bool(0.3) { None } else { Some(hex(rng, 32)) });
        }
        let weights: Vec<f64> = procs.iter().map(|p| f64::from(p.weight)).collect();
        let initiating: Vec<f64> = procs
            .iter()
            .map(|p| vocab::INITIATING.iter().find(|(f, _)| *f == p.file_name).map_or(0.0, |(_, w)| f64::from(*w)))
            .collect();
        let signed = |p: &vocab::ProcessImage| !p.company.is_empty();
        Images {
            file_name: strings(procs.iter().map(|p| p.file_name.to_owned()).collect()),
            folder_path: strings(procs.iter().map(|p| format!("{}{}", p.folder, p.file_name)).collect()),
            sha1: strings(procs.iter().map(|_| hex(rng, 20)).collect()),
            sha256: opt_strings(sha256),
            md5: strings(procs.iter().map(|_| hex(rng, 16)).collect()),
            size: procs.iter().map(|_| rng.random_range(40_000..250_000_000)).collect(),
            company: opt_strings(procs.iter().map(|p| opt(p.company)).collect()),
            product: opt_strings(procs.iter().map(|p| opt(p.product)).collect()),
            version: opt_strings(procs.iter().map(|p| opt(p.version)).collect()),
            internal_name: opt_strings(
                procs.iter().map(|p| signed(p).then(|| p.file_name.trim_end_matches(".exe").to_owned())).collect(),
            ),
            original_name: opt_strings(procs.iter().map(|p| signed(p).then(|| p.file_name.to_owned())).collect()),
            description: opt_strings(procs.iter().map(|p| opt(p.description)).collect()),
            signer_type: strings(
                procs
                    .iter()
                    .map(|p| {
                        if p.company == "Microsoft Corporation" {
                            "OsVendor".to_owned()
                        } else if signed(p) {
                            "ThirdParty".to_owned()
                        } else {
                            "Unknown".to_owned()
                        }
                    })
                    .collect(),
            ),
            signature_status: strings(
                procs.iter().map(|p| if signed(p) { "Valid".to_owned() } else { "Unsigned".to_owned() }).collect(),
            ),
            command_lines: strings(command_lines),
            cmd_start,
            cmd_count,
            sampler: Sampler::weighted(&weights),
            initiating: Sampler::weighted(&initiating),
        }
    }

    fn signers(rng: &mut ChaCha8Rng) -> Signers {
        let s = vocab::SIGNERS;
        Signers {
            signer: strings(s.iter().map(|(n, _, _)| (*n).to_owned()).collect()),
            signer_hash: strings(s.iter().map(|_| hex(rng, 20)).collect()),
            issuer: strings(s.iter().map(|(_, i, _)| (*i).to_owned()).collect()),
            issuer_hash: strings(s.iter().map(|_| hex(rng, 20)).collect()),
            serial: strings(s.iter().map(|_| hex(rng, 19)).collect()),
            crl: strings(
                s.iter()
                    .map(|(_, i, _)| {
                        let host =
                            if i.contains("Microsoft") { "www.microsoft.com/pkiops" } else { "crl3.digicert.com" };
                        format!(r#"["http://{host}/crl/{}.crl"]"#, i.split_whitespace().next().unwrap_or("ca"))
                    })
                    .collect(),
            ),
            is_microsoft: s.iter().map(|(n, _, _)| n.starts_with("Microsoft")).collect(),
            sampler: Sampler::weighted(&s.iter().map(|(_, _, w)| f64::from(*w)).collect::<Vec<_>>()),
        }
    }

    /// Every string pool a background column can draw from, named by the columns it feeds.
    /// Used by the tests that prove the background never matches a rule.
    #[cfg(test)]
    pub(crate) fn string_pools(&self) -> Vec<(&'static [&'static str], &StringArray)> {
        const COMPANY: &[&str] = &["ProcessVersionInfoCompanyName", "InitiatingProcessVersionInfoCompanyName"];
        const PRODUCT: &[&str] = &["ProcessVersionInfoProductName", "InitiatingProcessVersionInfoProductName"];
        const DESCRIPTION: &[&str] =
            &["ProcessVersionInfoFileDescription", "InitiatingProcessVersionInfoFileDescription"];
        const ORIGINAL: &[&str] =
            &["ProcessVersionInfoOriginalFileName", "InitiatingProcessVersionInfoOriginalFileName"];
        const FILE_NAME: &[&str] = &["FileName", "InitiatingProcessFileName", "InitiatingProcessParentFileName"];
        const FOLDER: &[&str] = &["FolderPath", "InitiatingProcessFolderPath"];
        vec![
            (COMPANY, &self.images.company),
            (PRODUCT, &self.images.product),
            (DESCRIPTION, &self.images.description),
            (ORIGINAL, &self.images.original_name),
            (FILE_NAME, &self.images.file_name),
            (FOLDER, &self.images.folder_path),
            (&["FileName"], self.file_name.strings()),
            (&["FolderPath"], &self.file_path),
            (&["RemoteUrl"], self.remote_url.strings()),
            (&["Signer"], &self.signers.signer),
        ]
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::oracle;
    use crate::rules::{Predicate, rules};

    /// Whether some background row could satisfy `p`: each condition is tested against every
    /// value its column can take. This over-approximates (it ignores which values occur
    /// together), so "no" is a proof that no background row matches.
    fn could_match(p: &Predicate, values: &BTreeMap<&str, Vec<Option<&str>>>) -> bool {
        let any = |column: &str, f: &dyn Fn(&str) -> bool| -> bool {
            match values.get(column) {
                Some(vs) => vs.iter().any(|v| f(v.unwrap_or(""))),
                // A column not drawn from a listed pool: assume the worst so the test fails.
                None => true,
            }
        };
        match p {
            Predicate::And(ps) => ps.iter().all(|q| could_match(q, values)),
            Predicate::Or(ps) => ps.iter().any(|q| could_match(q, values)),
            Predicate::Has { column, needles } => any(column, &|v| needles.iter().any(|n| oracle::has(v, n))),
            Predicate::Startswith { column, prefix } => any(column, &|v| oracle::starts_with(v, prefix)),
            Predicate::EqualsCi { column, value } => any(column, &|v| oracle::equals_ci(v, value)),
            Predicate::Isempty(column) => any(column, &str::is_empty),
        }
    }

    #[test]
    fn no_background_value_can_satisfy_a_rule() {
        let pools = Pools::new(1, 50);
        let mut values: BTreeMap<&str, Vec<Option<&str>>> = BTreeMap::new();
        for (columns, pool) in pools.string_pools() {
            for c in columns {
                let e = values.entry(c).or_default();
                e.extend((0..pool.len()).map(|i| (!pool.is_null(i)).then(|| pool.value(i))));
            }
        }
        for rule in rules() {
            let (Some(p), None) = (&rule.predicate, &rule.broken) else { continue };
            assert!(!could_match(p, &values), "{}: background values could satisfy {p:?}", rule.file);
        }
    }
}
