use crate::utils::*;

const CASES: &[(&str, &str)] = &[
("malformed", "name: x\nprofile: llamacloud\nevents:\n  - type: parse.success\n    data: {a: [1, 2}\n"),
("unknown key expect", "name: x\nprofile: perfectparser\nevents:\n  - type: batch.completed\nexpect:\n  attemps: 3\n"),
("unknown key top", "name: x\nprofile: perfectparser\nevents:\n  - type: batch.completed\nrecevier:\n  - respond: 200\n"),
("wrong type", "name: x\nprofile: perfectparser\nevents:\n  - type: batch.completed\nexpect:\n  attempts: many\n"),
("unknown profile", "name: x\nprofile: perfectparsr\nevents:\n  - type: batch.completed\n"),
("unknown event", "name: x\nprofile: perfectparser\nevents:\n  - type: batch.complete\n"),
("huge after", "name: x\nprofile: perfectparser\nevents:\n  - type: batch.completed\nreceiver:\n  - respond: 200\n    after: 99999h\n"),
("neg after", "name: x\nprofile: perfectparser\nevents:\n  - type: batch.completed\nreceiver:\n  - respond: 200\n    after: -5s\n"),
("bare after", "name: x\nprofile: perfectparser\nevents:\n  - type: batch.completed\nreceiver:\n  - respond: 200\n    after: 5\n"),
("empty receiver", "name: x\nprofile: perfectparser\nevents:\n  - type: batch.completed\nreceiver: []\n"),
("respond 1000", "name: x\nprofile: perfectparser\nevents:\n  - type: batch.completed\nreceiver:\n  - respond: 1000\n"),
("crawl auth", "name: x\nprofile: crawl4ai\nendpoint:\n  headers:\n    X-Ok: yes\n    Authorization: Bearer t\nevents:\n  - type: crawl.completed\n"),
("dup type", "name: x\nprofile: perfectparser\nevents:\n  - type: batch.completed\n  - type: batch.completed\nexpect:\n  - event: batch.completed\n    attempts: 1\n"),
];

#[test]
fn explore() {
    for (label, text) in CASES {
        let s = Scratch::new();
        let f = s.scenario(text);
        let o = hookrig(["run".into(), f.into_os_string()]);
        println!("=== {label}: {:?}\n{}", o.status, o.both());
    }
    let s = Scratch::new();
    let a = s.file("a.yaml", "name: same\nprofile: perfectparser\nevents:\n  - type: batch.completed\n");
    let _b = s.file("b.yaml", "# second\nname: same\nprofile: perfectparser\nevents:\n  - type: batch.completed\n");
    let o = hookrig(["run".into(), s.path().as_os_str().to_owned()]);
    println!("=== dup: {:?}\n{}", o.status, o.both());
    let o = hookrig(["run", "/nonexistent/x.yaml"]);
    println!("=== missing: {:?}\n{}", o.status, o.both());
    let _ = a;
    for args in [vec!["profiles"], vec!["profiles", "extend"], vec!["profiles", "perfectparsr"]] {
        let o = hookrig(args);
        println!("=== {:?}\n{}", o.status, o.both());
    }
}
