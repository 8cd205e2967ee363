"""meshlint report: one model of the migration behind Markdown, HTML and JSON. Each section is
checked on a fixture that exercises it, in all three formats, and the formats agree on every count."""
from __future__ import annotations

import html
import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from importlib import resources

import jsonschema
import pytest
from conftest import FIXTURES, REPO, run_cli

EXAMPLES = (FIXTURES / "examples").relative_to(REPO)  # as a user in the repository types them
EXPORT = EXAMPLES / "gke-1.4-addon-export.yaml"
GITOPS = EXAMPLES / "gitops-repo"
VENDORED = EXAMPLES / "vendored-istio-1.4"
PARTIAL = EXAMPLES / "partial-repo"
CLEAN = EXAMPLES / "clean-1.6"
CASES = {"export+repo": (EXPORT, GITOPS), "vendored": (VENDORED,), "partial": (PARTIAL,), "clean": (CLEAN,)}
SCHEMA = json.loads(resources.files("meshlint").joinpath("schemas/report.schema.json").read_text())
SECTIONS = {  # JSON count -> the Markdown heading that starts its section
    "blocking": "## Blocking", "refused": "## Refused conversions", "behaviour_changes": "## Behaviour changes", "review": "## For manual review",
}


class _Text(HTMLParser):
    """The page as (tag, id, text) events: enough to cut it into sections and count what they hold."""

    def __init__(self):
        super().__init__()
        self.events: list[tuple[str, str, str]] = []
        self._stack: list[tuple[str, str, list[str]]] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("meta", "br"):
            return
        self._stack.append((tag, dict(attrs).get("id") or "", []))

    def handle_endtag(self, tag):
        while self._stack:
            t, i, parts = self._stack.pop()
            text = "".join(parts)
            if self._stack:
                self._stack[-1][2].append(text)
            self.events.append((t, i, text))
            if t == tag:
                break

    def handle_data(self, data):
        if self._stack:
            self._stack[-1][2].append(data)


def html_events(page: str) -> list[tuple[str, str, str]]:
    p = _Text()
    p.feed(page)
    return p.events


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    d = tmp_path_factory.mktemp("reports")
    out = {}
    for case, paths in CASES.items():
        got = {}
        for fmt in ("markdown", "html", "json"):
            target = d / f"{case}.{fmt}"
            r = run_cli("report", "--format", fmt, "--out", target, *paths)
            assert r.code == 0, r.err
            got[fmt] = target.read_text(encoding="utf-8")
        got["data"] = json.loads(got["json"])
        got["path"] = d / f"{case}.html"
        out[case] = got
    return out


def md_section(md: str, heading: str) -> str:
    start = md.index(heading)
    nxt = md.find("\n## ", start + 1)
    return md[start:nxt if nxt != -1 else len(md)]


def html_section(page: str, section_id: str) -> str:
    """The HTML from the h2 with this id to the next h2."""
    m = re.search(rf'<h2 id="{re.escape(section_id)}">', page)
    assert m, section_id
    end = page.find("<h2 ", m.end())
    return page[m.start():end if end != -1 else len(page)]


def test_json_reports_validate(reports):
    for got in reports.values():
        jsonschema.validate(got["data"], SCHEMA)


def test_export_and_repo_give_every_namespace_and_object_once(reports):
    got = reports["export+repo"]
    data = got["data"]
    names = [n["namespace"] for n in data["namespaces"]]
    assert len(names) == len(set(names)) and {"shop", "payments", "legacy"} <= set(names)
    ids = [o["id"] for o in data["objects"]]
    assert len(ids) == len(set(ids))
    both = {str(EXPORT), str(GITOPS)}
    by_id = {o["id"]: o for o in data["objects"]}
    for ident in ("Namespace shop", "Namespace payments", "Policy shop/default"):
        files = {s["file"] for s in by_id[ident]["sources"]}
        assert {f.split("/gitops-repo/")[0] + ("/gitops-repo" if "gitops-repo" in f else "") for f in files} == both, ident
    assert data["inputs"]["in_several_files"] == 3
    # the Markdown and the page name each namespace once, and move each injected one once
    table = md_section(got["markdown"], "### Namespaces")
    page_rows = [t for tag, i, t in html_events(got["html"]) if tag == "tr"]
    for ns in names:
        assert len(re.findall(rf"^\| `{ns}` \|", table, re.MULTILINE)) == 1, ns
        assert sum(1 for row in page_rows if row.startswith(ns)) == 1, ns
    for ns in ("shop", "payments", "legacy"):
        assert got["markdown"].count(f"Move namespace {ns} to asm-managed") == 1
        assert got["html"].count(f"Move namespace {ns} to asm-managed") == 1
        assert md_section(got["markdown"], "## Steps").count(f"kubectl label namespace {ns} istio.io/rev=asm-managed istio-injection- --overwrite") == 1
    # one problem on one object found in both files is one item with both sources
    ml720 = [it for it in data["review"] if it["code"] == "ML720" and it["object"] == "Namespace shop"]
    assert len(ml720) == 1 and len(ml720[0]["sources"]) == 2


def _md_counts(md: str) -> dict[str, int]:
    rows = dict(re.findall(r"^\| ([^|]+?) \| (\d+) \|$", md, re.MULTILINE))
    return {label: int(n) for label, n in rows.items()}


def _html_counts(page: str) -> dict[str, int]:
    table = page[page.index('<table id="counts">'):]
    table = table[:table.index("</table>")]
    return {html.unescape(label): int(n) for label, n in re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td></tr>", table)}


@pytest.mark.parametrize("case", list(CASES))
def test_formats_agree_on_every_count(reports, case):
    from meshlint.migration_report.document import SUMMARY

    got = reports[case]
    c = got["data"]["counts"]
    want = {label: c[key] for key, label in SUMMARY}
    assert _md_counts(got["markdown"]) == {**_md_counts(got["markdown"]), **want}
    assert _html_counts(got["html"]) == want
    sentence = f"{c['findings']} finding(s): {c['errors']} error(s), {c['warnings']} warning(s), {c['infos']} info"
    assert sentence in got["markdown"] and sentence in got["html"]
    # every section holds as many entries as the JSON has, in both formats
    for key, heading in SECTIONS.items():
        section = md_section(got["markdown"], heading)
        assert len(re.findall(r"^- ", section, re.MULTILINE)) == c[key], (case, key)
        page = html_section(got["html"], {"blocking": "blocking", "refused": "refused", "behaviour_changes": "behaviour", "review": "review"}[key])
        assert page.count("<li>") == c[key], (case, key)
    conv_md = md_section(got["markdown"], "## Converted")
    for key, heading, hid in (("changed", "### Changed", "changed"), ("deleted", "### Deleted", "deleted"), ("generated", "### Generated", "generated")):
        part = conv_md[conv_md.index(heading):]
        part = part[:part.find("\n### ", 1)] if "\n### " in part[1:] else part
        assert len(re.findall(r"^- ", part, re.MULTILINE)) == c[key], (case, key)
        page = got["html"][got["html"].index(f'<h3 id="{hid}">'):]
        page = page[:re.search(r"<h[23] ", page[5:]).start() + 5]
        assert page.count("<li>") == c[key], (case, key)
    assert got["markdown"].count("### Missing: ") == c["unresolved"] == got["html"].count(">Missing: ")
    assert len(re.findall(r"^### \d+\. ", got["markdown"], re.MULTILINE)) == c["steps"] == len(re.findall(r'<h3 id="step-\d+">', got["html"]))
    assert len(re.findall(r"^\| `", md_section(got["markdown"], "## Inputs"), re.MULTILINE)) == c["namespaces"]
    if c["rollback"]:
        block = md_section(got["markdown"], "## Roll back").split("```sh\n", 1)[1].split("```", 1)[0]
        assert len(block.splitlines()) == c["rollback"]
        pre = html_section(got["html"], "rollback").split("<pre><code>", 1)[1].split("</code></pre>", 1)[0]
        assert len(pre.splitlines()) == c["rollback"]
    assert got["data"]["verdict"]["state"] in got["markdown"] and f'data-state="{got["data"]["verdict"]["state"]}"' in got["html"]


def test_blocking_section(reports):
    got = reports["export+repo"]
    blocking = [it for g in got["data"]["blocking"]["groups"] for it in g["items"]]
    assert {it["code"] for it in blocking} >= {"ML205", "ML600", "ML700", "ML721", "ML500"}
    assert all(it["severity"] == "error" for it in blocking)
    assert not [it for it in blocking if it["code"] in ("ML300", "ML400", "ML401", "ML402") and it["severity"] != "error"]
    md, page = md_section(got["markdown"], "## Blocking"), html_section(got["html"], "blocking")
    for it in blocking:
        assert f"**{it['code']}** `{it['object']}`" in md
        assert f"<strong>{it['code']}</strong> <code>{it['object']}</code>" in page
    assert got["data"]["verdict"]["state"] == "MIGRATION_CONFIG_ERROR"
    assert reports["clean"]["data"]["blocking"]["count"] == 0 and "Nothing blocks the migration." in reports["clean"]["markdown"]


def test_converted_lists_changed_deleted_and_generated_apart(reports):
    got = reports["export+repo"]
    conv = got["data"]["converted"]
    changed = {e["object"] for e in conv["changed"]}
    deleted = {e["object"]: e for e in conv["deleted"]}
    generated = {e["object"]: e for e in conv["generated"]}
    assert "VirtualService shop/frontend" in changed and "DestinationRule payments/ledger" in changed
    assert not changed & set(deleted)
    assert deleted["Policy shop/default"]["replaced_by"] == ["PeerAuthentication shop/default"]
    assert len({s["file"] for s in deleted["Policy shop/default"]["sources"]}) == 2  # the export's copy and the repository's, once
    assert deleted["ServiceRoleBinding shop/payments-calls-internal-api"]["replaced_by"] == []
    assert generated["PeerAuthentication shop/default"]["from"] == ["Policy shop/default"]
    # a conversion error is not a converted object: the export is left unchanged, and says so under refused
    assert "VirtualService shop/ratings" not in changed and "VirtualService shop/ratings" not in deleted
    md, page = md_section(got["markdown"], "## Converted"), html_section(got["html"], "converted")
    assert "not valid for the target API" not in md and "not valid for the target API" not in page
    deleted_md = md[md.index("### Deleted"):md.index("### Generated")]
    assert "`Policy shop/default`: replaced by `PeerAuthentication shop/default`" in deleted_md
    assert "<code>Policy shop/default</code>: replaced by <code>PeerAuthentication shop/default</code>" in page
    assert "`PeerAuthentication shop/default` from `Policy shop/default`" in md[md.index("### Generated"):]


def test_a_file_left_unchanged_names_what_is_converted_from_another_file(tmp_path):
    """A file that cannot be edited exactly (mixed line endings) is left as it is; its object's copy in
    another input file is converted, and the report says so instead of calling it not converted."""
    dr = "apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata:\n  name: reviews\n  namespace: shop\nspec:\n  host: reviews\n  trafficPolicy:\n    loadBalancer:\n      simple: LEAST_CONN\n"
    (tmp_path / "a.yaml").write_bytes(dr.replace("\n", "\r\n", 3).encode())
    (tmp_path / "b.yaml").write_text(dr)
    r = run_cli("report", "-f", "json", tmp_path / "a.yaml", tmp_path / "b.yaml")
    data = json.loads(r.out)
    error = [it for it in data["refused"] if it["code"] is None]
    assert len(error) == 1 and error[0]["message"].startswith("the file is left unchanged: ") and "line endings" in error[0]["reason"]
    assert error[0]["converted_elsewhere"] == ["DestinationRule shop/reviews"] and not error[0]["not_converted"]
    md = run_cli("report", tmp_path / "a.yaml", tmp_path / "b.yaml").out
    assert "converted from another file: `DestinationRule shop/reviews`" in md


def test_refused_section_with_reasons(reports):
    refused = reports["export+repo"]["data"]["refused"]
    error = [it for it in refused if it["code"] is None]
    assert len(error) == 1 and "not valid for the target API" in error[0]["reason"] and error[0]["not_converted"] == ["VirtualService shop/ratings"]
    # only that object is left as it is: the rest of the export converts
    converted = {e["object"] for e in reports["export+repo"]["data"]["converted"]["deleted"] + reports["export+repo"]["data"]["converted"]["changed"]}
    assert "VirtualService shop/ratings" not in converted and {"Policy payments/checkout-jwt", "VirtualService shop/productpage"} <= converted
    partial = reports["partial"]
    by_object = {it["object"]: it for it in partial["data"]["refused"]}
    assert by_object["ServiceRoleBinding shop/bind-viewer"]["code"] == "ML401"
    assert "viewer" in by_object["ServiceRoleBinding shop/bind-viewer"]["reason"]
    assert by_object["ServiceRole shop/ratings-reader"]["code"] == "ML400"
    assert by_object["Policy shop/reviews-mtls"]["code"] == "ML300" and "Service shop/reviews" in by_object["Policy shop/reviews-mtls"]["reason"]
    md, page = md_section(partial["markdown"], "## Refused"), html_section(partial["html"], "refused")
    for obj in by_object:
        assert f"`{obj}`" in md and f"<code>{obj}</code>" in page


def test_unresolved_references_say_what_where_and_how(reports):
    got = reports["partial"]
    refs = {u["missing"]: u for u in got["data"]["unresolved"]}
    assert set(refs) == {"Service shop/reviews", "ServiceRole shop/viewer", "ClusterRbacConfig default", "namespace of objects written without one"}
    svc = refs["Service shop/reviews"]
    assert svc["referenced_by"][0]["object"] == "Policy shop/reviews-mtls" and svc["referenced_by"][0]["path"] == "/spec/targets/0/name"
    assert svc["referenced_by"][0]["sources"][0]["file"].endswith("partial-repo/security.yaml")
    assert "--context" in svc["supply"][0]["how"] and svc["supply"][0]["command"] == "kubectl get service -n shop reviews -o yaml > reviews-service.yaml"
    assert any("--assume-rbac-on" in s["how"] for s in refs["ClusterRbacConfig default"]["supply"])
    ns = refs["namespace of objects written without one"]
    assert ns["referenced_by"][0]["objects"] == 2 and any("--namespace" in s["how"] for s in ns["supply"])
    md, page = md_section(got["markdown"], "## Unresolved"), html_section(got["html"], "unresolved")
    for missing in refs:
        assert f"### Missing: `{missing}`" in md and f"Missing: <code>{missing}</code>" in page
    assert "`kubectl get service -n shop reviews -o yaml > reviews-service.yaml`" in md
    assert "<code>kubectl get service -n shop reviews -o yaml &gt; reviews-service.yaml</code>" in page
    assert reports["clean"]["data"]["unresolved"] == []


def test_supplying_what_is_missing_resolves_it(tmp_path):
    extra = tmp_path / "from-cluster.yaml"
    extra.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: reviews, namespace: shop}\nspec:\n  selector: {app: reviews}\n  ports: [{name: http, port: 9080}]\n"
                     "---\napiVersion: v1\nkind: Service\nmetadata: {name: ratings, namespace: shop}\nspec:\n  selector: {app: ratings}\n  ports: [{name: http, port: 9080}]\n"
                     "---\napiVersion: rbac.istio.io/v1alpha1\nkind: ServiceRole\nmetadata: {name: viewer, namespace: shop}\nspec:\n  rules: [{services: ['*'], methods: [GET]}]\n")
    data = run_cli("report", "-f", "json", "--context", extra, "--assume-rbac-on", PARTIAL).json()
    assert {u["missing"] for u in data["unresolved"]} == {"namespace of objects written without one"}
    data = run_cli("report", "-f", "json", "--context", extra, "--assume-rbac-on", "--namespace", "shop", PARTIAL).json()
    assert data["unresolved"] == []


def test_a_namespace_less_repository_meets_its_export(tmp_path):
    """Manifests without a namespace, applied by a kustomization's namespace:, are the export's objects."""
    export = tmp_path / "export.yaml"
    export.write_text("apiVersion: v1\nkind: List\nitems:\n"
                      "- apiVersion: networking.istio.io/v1alpha3\n  kind: VirtualService\n  metadata:\n    name: frontend\n    namespace: shop\n"
                      "    resourceVersion: '7'\n  spec:\n    hosts: [frontend]\n    http:\n    - route: [{destination: {host: frontend}}]\n      websocketUpgrade: true\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "kustomization.yaml").write_text("namespace: shop\nresources:\n- routing.yaml\n")
    (repo / "routing.yaml").write_text("apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata:\n  name: frontend\n"
                                       "spec:\n  hosts: [frontend]\n  http:\n  - route: [{destination: {host: frontend}}]\n    websocketUpgrade: true\n")
    data = run_cli("report", "-f", "json", "export.yaml", "repo", cwd=tmp_path).json()
    vs = [o for o in data["objects"] if o["kind"] == "VirtualService"]
    assert [o["id"] for o in vs] == ["VirtualService shop/frontend"]
    assert {s["file"] for s in vs[0]["sources"]} == {"export.yaml", "repo/routing.yaml"}
    changed = [e for e in data["converted"]["changed"] if e["object"] == "VirtualService shop/frontend"]
    assert len(changed) == 1 and len(changed[0]["sources"]) == 2
    assert data["unresolved"] == []


def test_behaviour_changes_come_from_the_catalogue(reports):
    got = reports["export+repo"]
    changes = got["data"]["behaviour_changes"]
    from meshlint.catalogue import load_catalogue

    cat = load_catalogue()
    plaintext = [c for c in changes if c["code"] == "ML300" and c["change"] == cat["ML300"]["behaviour_change"]["plaintext"]]
    assert [c["object"] for c in plaintext] == ["Policy shop/frontend-jwt"]  # an mTLS downgrade on a converted policy is listed
    assert {c["object"] for c in changes if c["change"] == cat["ML300"]["behaviour_change"]["status_change"]} == {"Policy shop/frontend-jwt", "Policy payments/checkout-jwt"}
    assert any(c["code"] == "ML600" and c["object"] == "handler istio-system/orders-prometheus" for c in changes)
    md, page = md_section(got["markdown"], "## Behaviour changes"), html_section(got["html"], "behaviour")
    for c in changes:
        assert f"**{c['change']}**" in md and f"<strong>{c['change']}</strong>" in page
    assert reports["clean"]["data"]["behaviour_changes"] == []


def test_behaviour_changes_follow_the_catalogue_marks():
    """Unmark every message in the catalogue and the section empties: the report lists no message keys of its own."""
    from meshlint.engine import Settings, lint
    from meshlint.migration_report import build

    result = lint([str(EXPORT), str(GITOPS)], Settings())
    assert build(result)["behaviour_changes"]
    unmarked = replace(result, rules={code: replace(rule, behaviour={}) for code, rule in result.rules.items()})
    assert build(unmarked)["behaviour_changes"] == []


def test_per_namespace_steps_once_each(reports):
    got = reports["export+repo"]
    steps = [s for s in got["data"]["steps"] if s["id"].startswith("namespace:")]
    assert [s["id"] for s in steps] == ["namespace:legacy", "namespace:payments", "namespace:shop"]
    shop = next(s for s in steps if s["id"] == "namespace:shop")
    assert shop["commands"] == ["kubectl label namespace shop istio.io/rev=asm-managed istio-injection- --overwrite", "kubectl rollout restart deployment -n shop"]
    assert any("ratings-v1, reviews-v1" in n for n in shop["notes"])
    for text in (got["markdown"], got["html"]):
        assert "kubectl label namespace istio-system" not in text and "kubectl label namespace default" not in text
    ns = {n["namespace"]: n for n in got["data"]["namespaces"]}
    assert ns["payments"]["labels"] == {"istio-injection": "enabled"}  # as the cluster (the export) has it
    assert {s["labels"].get("istio.io/rev") for s in ns["payments"]["sources"]} == {None, "asm-managed"}  # the repository already says the revision
    assert not ns["legacy"]["ready"]


def test_revision_option():
    r = run_cli("report", "--revision", "asm-managed-rapid", EXPORT)
    assert "istio.io/rev=asm-managed-rapid" in r.out
    assert run_cli("report", "--revision", "asm-latest", EXPORT).code == 2


def test_istio_installation_is_one_item(reports):
    got = reports["vendored"]
    inst = got["data"]["installation"]
    assert inst is not None and inst["flavours"] == {"Helm chart": inst["documents"]}
    assert inst["by_category"]["Mixer configuration"] == 13 and inst["by_code"]["ML600"] == 13
    assert inst["findings"] == 13
    codes = {it["code"] for g in got["data"]["blocking"]["groups"] for it in g["items"]} | {it["code"] for it in got["data"]["behaviour_changes"]}
    assert "ML600" not in codes  # no separate Mixer errors for Istio's own defaults
    assert [it["code"] for it in got["data"]["gateways"]["custom"]] == ["ML710"]  # its egress gateway still needs a replacement
    for text in (got["markdown"], html.unescape(got["html"])):
        assert text.count("Istio's own installation") >= 1 and "managed control plane replaces it" in text
        assert "ML600 ×13" in text
    assert "## Istio's own installation" in got["markdown"] and got["markdown"].count("## Istio's own installation") == 1
    assert "Move namespace bookinfo" in got["markdown"]
    assert reports["clean"]["data"]["installation"] is None and "## Istio's own installation" not in reports["clean"]["markdown"]


def test_rollback_is_derived_from_the_steps(reports):
    got = reports["export+repo"]
    rollback = got["data"]["rollback"]
    generated = [g["object"] for g in got["data"]["converted"]["generated"]]
    assert rollback[:2] == ["kubectl label namespace shop istio-injection=enabled istio.io/rev- --overwrite", "kubectl rollout restart deployment -n shop"]
    assert "kubectl delete peerauthentication.security.istio.io -n shop default --ignore-not-found" in rollback
    # what a replacement gateway copies (its Service, its account) is the original: named, never deleted
    kept = next((c.split(": ", 1)[1].split(" (the original")[0].split(", ") for c in rollback if c.startswith("# not deleted: ")), [])
    assert set(kept) <= set(generated)
    assert sum(1 for c in rollback if c.startswith("kubectl delete ")) == len(generated) - len(kept)
    assert rollback[-1].startswith("kubectl apply -f meshlint-originals.yaml")
    save = next(s for s in got["data"]["steps"] if s["id"] == "save")
    assert "policy.authentication.istio.io" in save["commands"][0] and "meshlint-originals.yaml" in save["commands"][0]
    for text in (got["markdown"], got["html"]):
        assert "Roll back" in text and "nothing to roll back" not in text
    clean = reports["clean"]
    assert clean["data"]["rollback"] == [] and clean["data"]["verdict"]["state"] == "SUCCESS"
    assert "Roll back" not in clean["markdown"] and "Roll back" not in clean["html"]
    assert not [s for s in clean["data"]["steps"] if s["id"].startswith("namespace:")]  # already on asm-managed: nothing to move


def test_apply_advice_fits_kustomize_and_plain_repositories(reports):
    kustomize = reports["export+repo"]["data"]["converted"]["apply"]
    assert kustomize["kustomize"] and "kubectl apply -k converted/fixtures/examples/gitops-repo" in kustomize["commands"]
    assert kustomize["commands"][0] == f"meshlint convert --out converted/ {EXPORT} {GITOPS}"
    plain = reports["partial"]["data"]["converted"]["apply"]
    assert not plain["kustomize"] and "kubectl apply -f converted/fixtures/examples/partial-repo/routing.yaml" in plain["commands"]
    for got in reports.values():
        for text in (got["markdown"], got["html"], got["json"]):
            assert "kubectl apply -f converted/\n" not in text and "kubectl apply -f converted/ " not in text and '"kubectl apply -f converted/"' not in text


def test_markdown_folds_long_lists_and_names_never_become_html(tmp_path):
    f = tmp_path / "hostile.yaml"
    f.write_text("apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata:\n  name: \"<img src=x onerror=alert(1)>\"\n  namespace: shop\n"
                 "spec:\n  hosts: [a]\n  http:\n  - websocketUpgrade: true\n    route: [{destination: {host: a}}]\n")
    md = run_cli("report", f).out
    page = run_cli("report", "-f", "html", f).out
    assert "<img" not in md.replace("`VirtualService shop/<img src=x onerror=alert(1)>`", "")
    assert "<img" not in page


def test_a_conversion_verification_refuses_is_a_refused_conversion(monkeypatch):
    """The engine's verification refuses a conversion that decides a request differently from 1.4
    (here ML300's, made to widen STRICT mTLS to PERMISSIVE): the report lists it under refused
    conversions with the reason, not as converted, in all three formats."""
    import meshlint.rules.authn_policy_conversion as ml300
    from meshlint.engine import Settings, lint
    from meshlint.migration_report import build
    from meshlint.migration_report import render_html as html_report
    from meshlint.migration_report import render_json as json_report
    from meshlint.migration_report import render_markdown as markdown

    real = ml300.plan_policy

    def widened(res, index, root):
        plan = real(res, index, root)
        for o in plan.objects:
            if o["kind"] == "PeerAuthentication" and res.name == "default":
                o["spec"] = {**o.get("spec", {}), "mtls": {"mode": "PERMISSIVE"}}
        return plan

    monkeypatch.setattr(ml300, "plan_policy", widened)
    result = lint([str(REPO / GITOPS)], Settings())
    refusals = [f for f in result.findings if f.key == "unverified"]
    assert refusals and {f.code for f in refusals} == {"ML300"} and all(f.fix is None for f in refusals)
    data = build(result, inputs=[str(GITOPS)])
    refused = {it["object"]: it for it in data["refused"]}
    assert {it["object"] for it in data["refused"] if it["code"]} >= {f"Policy shop/{f.resource.name}" for f in refusals} >= {"Policy shop/default"}
    assert refused["Policy shop/default"]["code"] == "ML300"
    # the verification's refusal is the reason: the rule's notes on the policy it would have converted are not refusals
    jwt = [it for it in data["refused"] if it["object"] == "Policy shop/frontend-jwt"]
    assert len(jwt) == 1 and "verification found" in jwt[0]["reason"]
    assert any(it["object"] == "Policy shop/frontend-jwt" for it in data["review"] + data["behaviour_changes"])
    assert "decide differently from Istio 1.4" in refused["Policy shop/default"]["reason"]
    conv = data["converted"]
    assert "Policy shop/default" not in {e["object"] for e in conv["changed"] + conv["deleted"]}
    assert "PeerAuthentication shop/default" not in {e["object"] for e in conv["generated"]}
    assert data["counts"]["refused"] == len(data["refused"])
    md, page = markdown.render(data), html_report.render(data)
    assert "`Policy shop/default`" in md_section(md, "## Refused") and "<code>Policy shop/default</code>" in html_section(page, "refused")
    assert json.loads(json_report.render(data))["refused"] == data["refused"]


SECURITY = (FIXTURES / "security").relative_to(REPO)


@pytest.mark.parametrize("case, args, expected", [
    ("kustomize-placeholder", ("--assume-rbac-on",), {("ML400", "ServiceRole ml-pipeline-ui"): "would carry $(clientNamespace), a placeholder",
                                                      ("ML401", "ServiceRoleBinding ml-pipeline-ui"): "would carry $(clientNamespace), a placeholder"}),
    ("name-taken", (), {("ML400", "ServiceRole shop/cart-writer"): "would write AuthorizationPolicy shop/cart-writer-rule0-cart, which",
                        ("ML401", "ServiceRoleBinding shop/cart-writer"): "ServiceRole cart-writer is not converted"}),
])
def test_security_refusals_are_refused_conversions_in_every_format(tmp_path, case, args, expected):
    """The verification's refusals on real YAML (a $(var) the pipeline fills in; a name the repository
    already has; a binding whose role is refused) are refused conversions with their reasons."""
    got = {}
    for fmt in ("json", "markdown", "html"):
        r = run_cli("report", "-f", fmt, "--out", tmp_path / f"r.{fmt}", *args, SECURITY / case / "input.yaml")
        assert r.code == 0, r.err
        got[fmt] = (tmp_path / f"r.{fmt}").read_text()
    data = json.loads(got["json"])
    refused = {(it["code"], it["object"]): it["reason"] for it in data["refused"]}
    for (code, obj), words in expected.items():
        assert words in refused[(code, obj)], refused
        assert f"`{obj}`" in md_section(got["markdown"], "## Refused") and f"<code>{obj}</code>" in html_section(got["html"], "refused")
    converted = {e["object"] for e in data["converted"]["changed"] + data["converted"]["deleted"]}
    assert not converted & {obj for _, obj in expected}


def test_a_refused_mixer_draft_is_a_refused_conversion(monkeypatch):
    """ML600 converts nothing itself (not a fixable rule), but its listchecker draft is verified: a draft
    the verification refuses is a refused conversion with the request it would decide differently."""
    import copy

    from test_verify_mixer import LEGACY

    from meshlint.engine import Settings, lint_sources
    from meshlint.loader import load_bytes
    from meshlint.migration_report import build
    from meshlint.rules import mixer_resource

    honest = mixer_resource.draft_policy

    def widened(rule, ctx):
        out = honest(rule, ctx)
        if out is not None:
            out = copy.deepcopy(out)
            out["spec"]["rules"][0]["from"][0]["source"] = {"notIpBlocks": ["10.1.0.0/16", "192.0.2.0/24"]}
        return out

    monkeypatch.setattr(mixer_resource, "draft_policy", widened)
    data = build(lint_sources([load_bytes(LEGACY, "mixer.yaml")], Settings()))
    refused = {(it["code"], it["object"]): it["reason"] for it in data["refused"]}
    assert "verification found a request" in refused[("ML600", "rule payments/office-only")]
    assert not [g for g in data["converted"]["generated"] if g["object"].startswith("AuthorizationPolicy")]
    assert data["counts"]["refused"] == len(data["refused"])
