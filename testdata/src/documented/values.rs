//! The vocabularies documented columns draw from, built once per seed and shared between
//! columns: GUIDs, addresses, URLs, per-table action types, words suggested by a column's
//! name, and JSON texts for `dynamic` columns (`AdditionalFields` gets property bags with the
//! keys public hunts read: `Command`, `Name`, `PipeName`, `Experience`, ...).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::pools::StrPool;
use crate::sample::Sampler;

/// Shared vocabulary pools.
#[derive(Debug)]
pub(crate) struct Vocab {
    seed: u64,
    cache: Mutex<HashMap<String, Arc<StrPool>>>,
}

fn hex(rng: &mut impl RngCore, bytes: usize) -> String {
    (0..bytes).map(|_| format!("{:02x}", rng.next_u32() as u8)).collect()
}

fn guid(rng: &mut impl RngCore) -> String {
    let h = hex(rng, 16);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

const WORDS: &[&str] = &[
    "alpha",
    "bravo",
    "contoso",
    "fabrikam",
    "northwind",
    "tailspin",
    "litware",
    "adatum",
    "woodgrove",
    "proseware",
    "finance",
    "sales",
    "engineering",
    "hr",
    "legal",
    "ops",
    "security",
    "it",
    "marketing",
    "support",
    "primary",
    "secondary",
    "default",
    "custom",
    "enabled",
    "disabled",
    "pending",
    "active",
    "inactive",
    "standard",
];

const COUNTRIES: &[&str] = &["US", "GB", "DE", "NL", "FR", "IN", "JP", "BR", "CA", "AU", "RU", "CN"];
const CITIES: &[&str] =
    &["Seattle", "London", "Berlin", "Amsterdam", "Paris", "Mumbai", "Tokyo", "Sao Paulo", "Toronto"];
const APPS: &[&str] = &[
    "Microsoft Teams",
    "Office 365 Exchange Online",
    "Microsoft Azure PowerShell",
    "Azure Portal",
    "OneDrive",
    "SharePoint Online",
    "Microsoft Edge",
    "Outlook",
    "Azure CLI",
    "Graph Explorer",
];
const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
    "python-requests/2.31.0",
    "curl/8.4.0",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17126; Pro)",
];

/// Per-table action types (the common ones of each table's documentation).
fn action_types(table: &str) -> &'static [&'static str] {
    match table {
        "DeviceEvents" => &[
            "PowerShellCommand",
            "ProcessCreatedUsingWmiQuery",
            "NamedPipeEvent",
            "AntivirusDetection",
            "ScheduledTaskCreated",
            "DnsQueryResponse",
            "LdapSearch",
            "UsbDriveMounted",
            "ExploitGuardNetworkProtectionBlocked",
            "AsrOfficeChildProcessBlocked",
            "BrowserLaunchedToOpenUrl",
            "CreateRemoteThreadApiCall",
            "OpenProcessApiCall",
            "QueueUserApcRemoteApiCall",
            "DpapiAccessed",
            "ServiceInstalled",
            "UserAccountCreated",
            "TamperingAttempt",
            "SmartScreenUrlWarning",
            "DeviceBootAttestationInfo",
        ],
        "DeviceProcessEvents" => &["ProcessCreated", "OpenProcess"],
        "DeviceNetworkEvents" => &[
            "ConnectionSuccess",
            "ConnectionFailed",
            "ConnectionRequest",
            "InboundConnectionAccepted",
            "ListeningConnectionCreated",
        ],
        "DeviceFileEvents" => &["FileCreated", "FileModified", "FileRenamed", "FileDeleted"],
        "DeviceRegistryEvents" => {
            &["RegistryValueSet", "RegistryKeyCreated", "RegistryKeyDeleted", "RegistryValueDeleted"]
        }
        "DeviceLogonEvents" | "IdentityLogonEvents" => &["LogonSuccess", "LogonFailed", "LogonAttempted"],
        "DeviceImageLoadEvents" => &["ImageLoaded"],
        "IdentityDirectoryEvents" => {
            &["Group Membership changed", "Account Password changed", "Directory Services replication"]
        }
        "IdentityQueryEvents" => &["LDAP query", "DNS query", "SAMR query", "SAM-R query"],
        "EmailEvents" | "EmailPostDeliveryEvents" => {
            &["Delivered", "Junked", "Blocked", "Replaced", "Moved to quarantine"]
        }
        "EmailUrlInfo" | "UrlClickEvents" => &["ClickAllowed", "ClickBlocked", "UrlScanInProgress"],
        "CloudAppEvents" => &[
            "FileDownloaded",
            "MailItemsAccessed",
            "New-InboxRule",
            "Set-Mailbox",
            "Add member to role.",
            "Consent to application.",
            "FileAccessed",
            "UserLoggedIn",
        ],
        _ => &["Created", "Updated", "Deleted", "Read"],
    }
}

/// Keys of the `AdditionalFields` bags (the ones public hunts read), with value kinds.
const ADDITIONAL: &[(&str, Kind)] = &[
    ("Command", Kind::Command),
    ("Name", Kind::Choice(&["Task1", "Updater", "ScheduledScan", "OneDrive Standalone Update Task", "Backdoor"])),
    ("Count", Kind::Number),
    (
        "PipeName",
        Kind::Choice(&[r"\Device\NamedPipe\lsass", r"\Device\NamedPipe\srvsvc", r"\Device\NamedPipe\msagent_12"]),
    ),
    ("Experience", Kind::Choice(&["Office", "Edge", "PowerShell"])),
    ("ResponseCategory", Kind::Choice(&["Allowed", "Blocked", "Warned"])),
    ("DisplayName", Kind::Choice(&["Windows Update", "Contoso Agent", "RemoteSupport"])),
    ("ThreatName", Kind::Choice(&["Trojan:Win32/Wacatac", "HackTool:Win32/Mimikatz", "Behavior:Win32/Powessere"])),
    ("Description", Kind::Choice(&["Scheduled maintenance", "Remote helper", ""])),
    ("DriveLetter", Kind::Choice(&["D:", "E:", "F:"])),
    ("ProductName", Kind::Choice(&["SanDisk Cruzer", "Kingston DataTraveler"])),
    ("IsAudit", Kind::Flag),
    ("DesiredAccess", Kind::Number),
    ("RemoteClientsAccess", Kind::Choice(&["AllowAll", "RestrictedToLocalIps"])),
    ("FileOperation", Kind::Choice(&["Read", "Write"])),
    ("DnsQueryString", Kind::Choice(&["login.microsoftonline.com", "agent.atera.com", "c2.evil.example"])),
    ("SearchFilter", Kind::Choice(&["(objectCategory=computer)", "(&(objectClass=user)(adminCount=1))"])),
    ("Tags", Kind::Tags),
    ("ApplicationName", Kind::Choice(&["Teams", "Outlook", "chrome"])),
];

#[derive(Clone, Copy, Debug)]
enum Kind {
    Command,
    Choice(&'static [&'static str]),
    Number,
    Flag,
    Tags,
}

const COMMANDS: &[&str] = &[
    "powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\\\\Scripts\\\\inventory.ps1",
    "powershell -nop -w hidden -enc SQBFAFgA",
    "Invoke-WebRequest -Uri https://contoso.example/update.zip -OutFile $env:TEMP\\\\u.zip",
    "Get-Process | Sort-Object CPU",
    "cmd.exe /c whoami /all",
    "net user /domain",
    "Set-MpPreference -DisableRealtimeMonitoring $true",
    "schtasks /create /tn Updater /tr C:\\\\ProgramData\\\\u.exe",
];

impl Vocab {
    pub(crate) fn new(seed: u64) -> Self {
        Self { seed, cache: Mutex::new(HashMap::new()) }
    }

    fn rng(&self, key: &str) -> ChaCha8Rng {
        let h = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x1000_0000_01b3));
        ChaCha8Rng::seed_from_u64(self.seed ^ h)
    }

    /// The pool under `key`, made by `make` the first time.
    fn pool(&self, key: &str, make: impl FnOnce(&mut ChaCha8Rng) -> StrPool) -> Arc<StrPool> {
        if let Ok(cache) = self.cache.lock()
            && let Some(p) = cache.get(key)
        {
            return Arc::clone(p);
        }
        let mut rng = self.rng(key);
        let p = Arc::new(make(&mut rng));
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key.to_owned(), Arc::clone(&p));
        }
        p
    }

    pub(crate) fn of(&self, values: &'static [&'static str]) -> Arc<StrPool> {
        self.pool(&format!("of:{}", values.join("|")), |_| StrPool::of(values))
    }

    pub(crate) fn guids(&self) -> Arc<StrPool> {
        self.pool("guids", |rng| StrPool::uniform((0..4096).map(|_| Some(guid(rng))).collect()))
    }

    pub(crate) fn action_types(&self, table: &str) -> Arc<StrPool> {
        let values = action_types(table);
        self.pool(&format!("actions:{table}"), |_| {
            let n = values.len();
            StrPool::new(values.iter().map(|s| Some((*s).to_owned())).collect(), Sampler::zipf(n, 0.9))
        })
    }

    pub(crate) fn remote_ips(&self) -> Arc<StrPool> {
        self.pool("ips", |rng| {
            let mut values: Vec<Option<String>> = (0..2048)
                .map(|_| {
                    let a = [13u8, 20, 40, 52, 104, 142, 151, 172, 185, 204][rng.random_range(0..10)];
                    Some(format!("{a}.{}.{}.{}", rng.random::<u8>(), rng.random::<u8>(), rng.random::<u8>()))
                })
                .collect();
            values.extend((0..64).map(|i| Some(format!("10.0.{i}.{}", 1 + rng.random::<u8>() % 250))));
            values.push(Some("2001:db8::1".into()));
            values.push(Some(String::new()));
            let n = values.len();
            StrPool::new(values, Sampler::zipf(n, 0.8))
        })
    }

    pub(crate) fn urls(&self) -> Arc<StrPool> {
        self.pool("urls", |_| {
            let hosts = [
                "login.microsoftonline.com",
                "graph.microsoft.com",
                "www.contoso.com",
                "agent.atera.com",
                "github.com",
                "raw.githubusercontent.com",
                "pastebin.com",
                "cdn.example.net",
                "update.fabrikam.com",
                "",
            ];
            StrPool::new(
                hosts
                    .iter()
                    .map(|h| Some(if h.is_empty() { String::new() } else { format!("https://{h}/") }))
                    .collect(),
                Sampler::zipf(hosts.len(), 1.0),
            )
        })
    }

    pub(crate) fn ports(&self) -> Arc<StrPool> {
        self.pool("ports", |_| StrPool::of(&["443", "80", "53", "445", "3389", "135", "8080", "389", "88", "22"]))
    }

    /// Words for a string column, by what its name suggests.
    pub(crate) fn words_for(&self, n: &str) -> Arc<StrPool> {
        let has = |s: &str| n.contains(s);
        if has("country") {
            return self.of(COUNTRIES);
        }
        if has("city") {
            return self.of(CITIES);
        }
        if has("severity") {
            return self.of(&["Informational", "Low", "Medium", "High"]);
        }
        if has("status") || has("result") || has("outcome") {
            return self.of(&["Success", "Failure", "Succeeded", "Failed", "Interrupted"]);
        }
        if has("logontype") {
            return self.of(&["Interactive", "Network", "RemoteInteractive", "Batch", "Service", "Unlock"]);
        }
        if has("useragent") {
            return self.of(USER_AGENTS);
        }
        if has("application") || has("appname") || n == "app" || has("clientapp") {
            return self.of(APPS);
        }
        if has("ostype") || has("osplatform") || has("osversion") || n == "os" {
            return self.of(&["Windows10", "Windows11", "WindowsServer2019", "WindowsServer2022", "Linux", "macOS"]);
        }
        if has("registrykey") {
            return self.of(&[
                r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Run",
                r"HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\RunOnce",
                r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\WinDefend",
            ]);
        }
        if has("subject") {
            return self.of(&[
                "Invoice 4471",
                "Your mailbox is full",
                "Quarterly report",
                "Re: meeting",
                "Password expiry",
            ]);
        }
        if has("description") || has("message") || has("reason") || has("comment") {
            return self.of(&["Completed", "Blocked by policy", "User action required", "Scheduled job", ""]);
        }
        if has("category") || has("classification") {
            return self.of(&["Malware", "Phishing", "CredentialAccess", "Execution", "Persistence", "Benign"]);
        }
        if n.ends_with("id") || has("guid") || has("identifier") {
            return self.guids();
        }
        let key = format!("words:{n}");
        self.pool(&key, |rng| {
            let mut values: Vec<Option<String>> = (0..64)
                .map(|_| Some(format!("{}-{}", WORDS[rng.random_range(0..WORDS.len())], rng.random_range(1..500))))
                .collect();
            values.push(Some(String::new()));
            values.push(None);
            let n = values.len();
            StrPool::new(values, Sampler::zipf(n, 0.7))
        })
    }

    /// JSON texts for a `dynamic` column, by its (lower-case) name.
    pub(crate) fn json_for(&self, n: &str) -> Arc<StrPool> {
        if n == "additionalfields" || n.ends_with("additionalfields") {
            return self.pool("json:additional", additional_fields);
        }
        if n.contains("tags")
            || n.ends_with("ips")
            || n.ends_with("addresses")
            || n.ends_with("list")
            || n.ends_with("ids")
        {
            return self.pool(&format!("json:array:{n}"), |rng| {
                let values = (0..512)
                    .map(|i| {
                        if i % 50 == 0 {
                            return None;
                        }
                        let k = rng.random_range(0..4);
                        let items: Vec<String> =
                            (0..k).map(|_| format!("\"{}\"", WORDS[rng.random_range(0..WORDS.len())])).collect();
                        Some(format!("[{}]", items.join(",")))
                    })
                    .collect();
                StrPool::uniform(values)
            });
        }
        self.pool(&format!("json:bag:{n}"), |rng| {
            let values = (0..512)
                .map(|i| {
                    if i % 40 == 0 {
                        return None;
                    }
                    Some(format!(
                        r#"{{"Name":"{}","Value":{},"Enabled":{},"Items":["{}"]}}"#,
                        WORDS[rng.random_range(0..WORDS.len())],
                        rng.random_range(0..1000),
                        rng.random_bool(0.5),
                        WORDS[rng.random_range(0..WORDS.len())]
                    ))
                })
                .collect();
            StrPool::uniform(values)
        })
    }
}

/// Property bags of the keys hunts read from `AdditionalFields`, some empty, some null.
fn additional_fields(rng: &mut ChaCha8Rng) -> StrPool {
    let mut values = Vec::with_capacity(4096);
    for i in 0..4096 {
        if i % 25 == 0 {
            values.push(None);
            continue;
        }
        if i % 25 == 1 {
            values.push(Some("{}".to_owned()));
            continue;
        }
        let keys = rng.random_range(1..6);
        let mut parts = Vec::with_capacity(keys);
        let mut used = Vec::new();
        for _ in 0..keys {
            let (k, kind) = ADDITIONAL[rng.random_range(0..ADDITIONAL.len())];
            if used.contains(&k) {
                continue;
            }
            used.push(k);
            let v = match kind {
                Kind::Command => format!("\"{}\"", COMMANDS[rng.random_range(0..COMMANDS.len())]),
                Kind::Choice(c) => format!("\"{}\"", c[rng.random_range(0..c.len())].replace('\\', "\\\\")),
                Kind::Number => rng.random_range(0..5000).to_string(),
                Kind::Flag => rng.random_bool(0.5).to_string(),
                Kind::Tags => format!(
                    "[\"{}\",\"{}\"]",
                    WORDS[rng.random_range(0..WORDS.len())],
                    WORDS[rng.random_range(0..WORDS.len())]
                ),
            };
            parts.push(format!("\"{k}\":{v}"));
        }
        values.push(Some(format!("{{{}}}", parts.join(","))));
    }
    StrPool::uniform(values)
}
