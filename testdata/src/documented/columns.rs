//! What a documented column holds, decided once from its name and KQL type: a device, account
//! or process-image field (so the columns of one row agree with each other), a time, a value
//! from a vocabulary pool, a number in a range, or JSON for a `dynamic` column.

use std::sync::Arc;

use crate::pools::StrPool;

/// A documented KQL type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocType {
    /// `string`
    String,
    /// `long`
    Long,
    /// `int`
    Int,
    /// `real`
    Real,
    /// `bool`
    Bool,
    /// `datetime`
    DateTime,
    /// `timespan` (written as 100 ns ticks in a `long`)
    TimeSpan,
    /// `guid` (written as its text)
    Guid,
    /// `dynamic` (JSON text)
    Dynamic,
}

impl DocType {
    /// The type for a KQL type name (aliases included).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "string" => Self::String,
            "long" => Self::Long,
            "int" => Self::Int,
            "real" | "double" => Self::Real,
            "bool" | "boolean" => Self::Bool,
            "datetime" | "date" => Self::DateTime,
            "timespan" | "time" => Self::TimeSpan,
            "guid" | "uuid" | "uniqueid" => Self::Guid,
            "dynamic" => Self::Dynamic,
            _ => return None,
        })
    }
}

/// Which row-level draw a field follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Who {
    /// The row's main actor (`AccountName`, `FileName`).
    Main,
    /// The initiating process or account (`InitiatingProcess...`).
    Initiating,
    /// The initiating process's parent (`InitiatingProcessParent...`).
    Parent,
}

/// A device field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DeviceField {
    Id,
    Name,
    AadId,
    LocalIp,
}

/// An account field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AccountField {
    Name,
    Domain,
    Sid,
    Upn,
    ObjectId,
}

/// A process-image field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ImageField {
    FileName,
    FolderPath,
    CommandLine,
    Sha1,
    Sha256,
    Md5,
    Size,
    Company,
    Product,
    Version,
    InternalName,
    OriginalName,
    Description,
}

/// How one column is filled.
#[derive(Debug)]
pub(crate) enum Fill {
    /// The row's time (the table's main time column, and `TimeGenerated` beside `Timestamp`).
    Time,
    /// Some time before the row's time (process creation times, first-seen times).
    EarlierTime,
    Device(DeviceField),
    Account(AccountField, Who),
    Image(ImageField, Who),
    /// An independent draw from a pool (nulls included where the pool has them).
    Pool(Arc<StrPool>),
    /// The same text on every row (`Type`, `TenantId`).
    Fixed(String),
    /// 1, 2, 3, ... over the table (`ReportId`).
    Sequence,
    /// A whole number in `lo..hi`.
    Long(i64, i64),
    /// A real in `lo..hi`.
    Real(f64, f64),
    /// True with this probability.
    Bool(f64),
}

/// The fill of a column. `table` picks vocabularies (`ActionType`), `primary` says whether
/// this datetime column is the table's main time.
pub(crate) fn fill_of(table: &str, column: &str, ty: DocType, primary: bool, pools: &super::values::Vocab) -> Fill {
    let n = column.to_ascii_lowercase();
    let who = if n.starts_with("initiatingprocessparent") {
        Who::Parent
    } else if n.starts_with("initiatingprocess") || n.starts_with("initiating") {
        Who::Initiating
    } else {
        Who::Main
    };
    match ty {
        DocType::DateTime => {
            if primary || n == "timegenerated" || n == "timestamp" {
                Fill::Time
            } else {
                Fill::EarlierTime
            }
        }
        DocType::Bool => Fill::Bool(if n.starts_with("is") || n.starts_with("has") { 0.2 } else { 0.5 }),
        DocType::Real => {
            if n.contains("latitude") {
                Fill::Real(-60.0, 70.0)
            } else if n.contains("longitude") {
                Fill::Real(-170.0, 170.0)
            } else if n.contains("score") || n.contains("percent") {
                Fill::Real(0.0, 100.0)
            } else {
                Fill::Real(0.0, 1000.0)
            }
        }
        DocType::Long | DocType::Int | DocType::TimeSpan => number_fill(&n, who, ty),
        DocType::Guid => {
            if n.contains("tenant") {
                Fill::Fixed("72f988bf-86f1-41af-91ab-2d7cd011db47".into())
            } else if n.ends_with("deviceid") {
                Fill::Device(DeviceField::AadId)
            } else if n.contains("objectid") {
                Fill::Account(AccountField::ObjectId, who)
            } else {
                Fill::Pool(pools.guids())
            }
        }
        DocType::Dynamic => Fill::Pool(pools.json_for(&n)),
        DocType::String => string_fill(table, &n, who, pools),
    }
}

fn number_fill(n: &str, who: Who, ty: DocType) -> Fill {
    if n == "reportid" {
        return Fill::Sequence;
    }
    if n.ends_with("filesize") || n == "size" || n.ends_with("size") {
        return Fill::Image(ImageField::Size, who);
    }
    let (lo, hi) = if n.ends_with("port") {
        (1, 65_536)
    } else if n.ends_with("processid") || n.ends_with("parentid") || n == "processid" || n.ends_with("threadid") {
        (4, 65_000)
    } else if n.ends_with("logonid") {
        (100_000, 10_000_000)
    } else if n.ends_with("sessionid") {
        (0, 6)
    } else if n.contains("count") || n.contains("number") {
        (0, 50)
    } else if n.contains("severity") || n.contains("level") {
        (0, 5)
    } else if ty == DocType::TimeSpan {
        (0, 36_000_000_000)
    } else if ty == DocType::Int {
        (0, 1_000)
    } else {
        (0, 100_000)
    };
    Fill::Long(lo, hi)
}

fn string_fill(table: &str, n: &str, who: Who, p: &super::values::Vocab) -> Fill {
    use AccountField as A;
    use ImageField as I;
    let ends = |s: &str| n.ends_with(s);
    match n {
        "type" => return Fill::Fixed(table.to_owned()),
        "sourcesystem" => return Fill::Fixed("Azure".into()),
        "tenantid" | "aadtenantid" => return Fill::Fixed("72f988bf-86f1-41af-91ab-2d7cd011db47".into()),
        "actiontype" => return Fill::Pool(p.action_types(table)),
        _ => {}
    }
    // Devices
    if ends("aaddeviceid") {
        return Fill::Device(DeviceField::AadId);
    }
    if ends("deviceid") || n == "machineid" {
        return Fill::Device(DeviceField::Id);
    }
    if ends("devicename") || n == "computer" || n == "hostname" || ends("computername") || n == "devicename" {
        return Fill::Device(DeviceField::Name);
    }
    // Process images
    let image = |f| Fill::Image(f, who);
    if ends("sha1") {
        return image(I::Sha1);
    }
    if ends("sha256") {
        return image(I::Sha256);
    }
    if ends("md5") {
        return image(I::Md5);
    }
    if ends("commandline") {
        return image(I::CommandLine);
    }
    if ends("versioninfocompanyname") || ends("companyname") {
        return image(I::Company);
    }
    if ends("versioninfoproductname") {
        return image(I::Product);
    }
    if ends("versioninfoproductversion") || ends("fileversion") {
        return image(I::Version);
    }
    if ends("versioninfointernalfilename") {
        return image(I::InternalName);
    }
    if ends("versioninfooriginalfilename") {
        return image(I::OriginalName);
    }
    if ends("versioninfofiledescription") {
        return image(I::Description);
    }
    if (ends("filename") && !n.contains("attachment")) || n == "processname" || ends("imagefilename") {
        return image(I::FileName);
    }
    if ends("folderpath") || ends("filepath") || ends("imagepath") {
        return image(I::FolderPath);
    }
    // Accounts
    let account = |f| Fill::Account(f, who);
    if ends("accountupn")
        || ends("userprincipalname")
        || ends("emailaddress")
        || ends("fromaddress")
        || ends("toaddress")
        || n == "upn"
        || ends("mailaddress")
        || n == "userid"
    {
        return account(A::Upn);
    }
    if ends("accountname") || n == "username" || ends("accountdisplayname") || n == "user" || n == "caller" {
        return account(A::Name);
    }
    if ends("accountdomain") || ends("domainname") {
        return account(A::Domain);
    }
    if ends("accountsid") || ends("sid") {
        return account(A::Sid);
    }
    if ends("accountobjectid") || ends("objectid") {
        return account(A::ObjectId);
    }
    // Network
    if ends("ipaddress") || ends("ip") || n == "ipv4" || ends("sourceaddress") || ends("destinationaddress") {
        return if n.contains("local") || n.contains("private") {
            Fill::Device(DeviceField::LocalIp)
        } else {
            Fill::Pool(p.remote_ips())
        };
    }
    if ends("url") || ends("uri") || ends("domain") || ends("hostname") || n.contains("fqdn") {
        return Fill::Pool(p.urls());
    }
    if ends("port") {
        return Fill::Pool(p.ports());
    }
    if ends("protocol") {
        return Fill::Pool(p.of(&["Tcp", "Udp", "Http", "Https", "Dns", "Kerberos", "Ntlm", "Ldap"]));
    }
    // Everything else by what the name suggests.
    Fill::Pool(p.words_for(n))
}
