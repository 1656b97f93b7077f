//! `kql cluster scheduler|executor` and `--cluster`, end to end through the binary: a
//! scheduler and two executors as separate processes on loopback ports, then `kql query` and
//! `kql hunt` on the cluster print exactly what they print locally. Without the `cluster`
//! feature, the commands say how to get it.

#![allow(unused_crate_dependencies)] // dev-dependencies are shared by all test targets

use assert_cmd::Command;

fn kql() -> Command {
    Command::cargo_bin("kql").expect("the kql binary")
}

#[cfg(not(feature = "cluster"))]
#[test]
fn without_the_feature_the_commands_say_how_to_get_it() {
    use predicates::prelude::*;
    for args in [vec!["cluster", "scheduler"], vec!["query", "--cluster", "df://127.0.0.1:1", "print 1"]] {
        kql().args(&args).assert().code(2).stderr(predicate::str::contains("--features cluster"));
    }
}

#[cfg(feature = "cluster")]
mod with_the_feature {
    use std::io::{BufRead, BufReader};
    use std::process::{Child, Stdio};
    use std::time::{Duration, Instant};

    use super::kql;

    /// Kills the node when the test ends, however it ends.
    struct Node(Child);

    impl Drop for Node {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("address").port()
    }

    /// Starts `kql cluster ...args` (its errors in `log`) and waits for its first line.
    fn node(args: &[String], log: &std::path::Path) -> Node {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("kql"))
            .arg("cluster")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).expect("a log file"))
            .spawn()
            .expect("start a node");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        out.read_line(&mut line).expect("its first line");
        assert!(line.starts_with("kql cluster:"), "{line}");
        // Keep reading: a node writing to a closed pipe would end.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        Node(child)
    }

    fn wait_for_port(node: &mut Node, port: u16, log: &std::path::Path) {
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            let ended = node.0.try_wait().expect("the node's status");
            assert!(
                ended.is_none() && start.elapsed() < Duration::from_secs(30),
                "nothing listens on {port} ({ended:?}): {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stdout(cmd: &mut assert_cmd::Command) -> String {
        let out = cmd.timeout(Duration::from_secs(120)).output().expect("run kql");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("UTF-8")
    }

    #[test]
    fn query_and_hunt_on_a_three_node_cluster() {
        let dir = tempfile::tempdir().expect("tempdir");
        kql()
            .args(["gen", "--rows", "1500", "--devices", "20", "--seed", "4", "--layout", "hive"])
            .args(["--now", "2024-06-01T12:00:00Z", "--out"])
            .arg(dir.path())
            .assert()
            .success();
        let scheduler = free_port();
        let log = dir.path().join("scheduler.log");
        let mut s = node(&["scheduler".into(), "--bind".into(), format!("127.0.0.1:{scheduler}")], &log);
        wait_for_port(&mut s, scheduler, &log);
        let mut executors = Vec::new();
        for i in 0..2 {
            let log = dir.path().join(format!("executor-{i}.log"));
            let (flight, grpc) = (free_port(), free_port());
            let mut e = node(
                &[
                    "executor".into(),
                    "--scheduler".into(),
                    format!("127.0.0.1:{scheduler}"),
                    "--bind".into(),
                    format!("127.0.0.1:{flight}"),
                    "--grpc-port".into(),
                    grpc.to_string(),
                    "--concurrent-tasks".into(),
                    "4".into(),
                ],
                &log,
            );
            wait_for_port(&mut e, flight, &log);
            executors.push(e);
        }
        let url = format!("df://127.0.0.1:{scheduler}");
        let query = "DeviceProcessEvents | where FileName has_any ('AnyDesk', 'ScreenConnect') or ProcessCommandLine \
                     contains 'rmm' | summarize n = count(), hosts = dcount(DeviceName) by FileName | order by FileName asc";
        let local = stdout(kql().args(["query", "--now", "2024-06-01T12:00:00Z", "--lake"]).arg(dir.path()).arg(query));
        let remote = stdout(
            kql()
                .args(["query", "--now", "2024-06-01T12:00:00Z", "--cluster", &url, "--lake"])
                .arg(dir.path())
                .arg(query),
        );
        assert_eq!(remote, local);
        assert!(local.lines().count() > 3, "{local}");

        let hunt = |cluster: Option<&str>| {
            let mut cmd = kql();
            cmd.args(["hunt", "--builtin", "--now", "2024-06-01T12:00:00Z", "--format", "summary", "--lake"])
                .arg(dir.path());
            if let Some(url) = cluster {
                cmd.args(["--cluster", url]);
            }
            stdout(&mut cmd)
        };
        let (local, remote) = (hunt(None), hunt(Some(&url)));
        // Per rule: name, status and rows (times differ; the executors' scans are not counted
        // here); then each rule's rows, in any order.
        let table = |s: &str| -> Vec<(String, String)> {
            s.lines()
                .take_while(|l| !l.is_empty())
                .skip(1)
                .map(|l| {
                    let cells: Vec<&str> = l.split("  ").filter(|c| !c.trim().is_empty()).collect();
                    (cells[0].trim().to_owned(), cells[1..3].iter().map(|c| c.trim()).collect::<Vec<_>>().join(" "))
                })
                .collect()
        };
        assert_eq!(table(&remote), table(&local));
        assert!(remote.lines().nth(1).is_some_and(|l| l.contains(" - ")), "{remote}");
        let sorted = |s: &str| -> Vec<String> {
            let mut rows: Vec<String> = s.lines().filter(|l| l.starts_with('│')).map(str::to_owned).collect();
            rows.sort();
            rows
        };
        assert_eq!(sorted(&remote), sorted(&local));
    }
}
