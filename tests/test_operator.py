"""IstioOperator is read: the 1.6 add-on's own resource and users' ones; their gateways are custom
gateways with replacements, their meshConfig values and add-ons findings naming the managed
equivalent, and the report counts them as Istio's own installation."""
from __future__ import annotations

import yaml
from conftest import FIXTURES, REPO

EXAMPLES = (FIXTURES / "examples").relative_to(REPO)
USER = EXAMPLES / "operator-repo"
ADDON = EXAMPLES / "gke-1.6-addon-istiooperator.yaml"
ADDON_EXPORT = EXAMPLES / "gke-1.6-addon-export.yaml"


def _by_code(findings):
    out = {}
    for f in findings:
        out.setdefault(f["code"], []).append(f)
    return out


def test_user_operator_settings_name_their_managed_equivalents(cli):
    findings = _by_code(cli("check", "-f", "json", USER).json()["findings"])
    assert [f["severity"] for f in findings["ML730"]] == ["warning"]
    mesh = {f["path"]: f for f in findings["ML731"]}
    assert "Telemetry API" in mesh["/spec/meshConfig/accessLogFile"]["message"] and "istio-asm-managed" in mesh["/spec/meshConfig/accessLogFile"]["message"]
    assert "istio-asm-managed ConfigMap" in mesh["/spec/meshConfig/outboundTrafficPolicy"]["message"]
    assert "Cloud Trace" in mesh["/spec/meshConfig/enableTracing"]["message"]
    assert "/spec/values/global/proxy/accessLogEncoding" in mesh  # a 1.6 value the operator rendered into meshConfig
    addons = {f["path"]: f["message"] for f in findings["ML732"]}
    assert set(addons) == {"/spec/addonComponents/prometheus/enabled", "/spec/addonComponents/kiali/enabled"}  # grafana is off
    assert "Managed Service for Prometheus" in addons["/spec/addonComponents/prometheus/enabled"]
    assert [f["path"] for f in findings["ML733"]] == ["/spec/components/pilot", "/spec/components/telemetry/enabled"]
    gateways = {f["path"]: f for f in findings["ML734"]}
    assert gateways["/spec/components/ingressGateways/0"]["severity"] == "info"  # the default ingress gateway: the guide's step
    internal = gateways["/spec/components/ingressGateways/1"]
    assert internal["severity"] == "warning" and not internal["fixable"]  # convert prepares the replacement; moving traffic stays a manual step
    assert "edge/internal-gateway (an internal load balancer)" in internal["message"]


def test_the_addons_own_operator_is_information(cli):
    findings = cli("check", "-f", "json", ADDON).json()["findings"]
    assert findings and {f["severity"] for f in findings} == {"info"}
    assert "1.6 add-on's own install" in next(f["message"] for f in findings if f["code"] == "ML730")
    report = cli("report", "-f", "json", ADDON_EXPORT, ADDON).json()
    assert report["verdict"]["state"] == "SUCCESS"
    assert list(report["installation"]["flavours"]) == ["Istio-on-GKE add-on"]
    assert report["installation"]["by_category"]["IstioOperator resources"] == 1
    assert report["behaviour_changes"] == []  # the add-on's own settings are Google's defaults, replaced by the managed ones


def test_operator_gateway_replacement_keeps_the_service(cli, tmp_path):
    r = cli("convert", "--out", tmp_path / "out", USER)
    assert r.code in (0, 1), r.err
    generated = tmp_path / "out" / "generated" / "gateways" / "edge-internal-gateway.yaml"
    objects = {o["kind"]: o for o in yaml.safe_load_all(generated.read_text())}
    svc = objects["Service"]
    assert svc["metadata"]["namespace"] == "edge"
    assert svc["metadata"]["annotations"] == {"networking.gke.io/load-balancer-type": "Internal",
                                              "meshlint.io/generated-from": "gateway edge/internal-gateway declared in IstioOperator istio-system/platform-mesh"}
    assert svc["spec"]["type"] == "LoadBalancer"
    assert [(p["name"], p["port"], p["targetPort"]) for p in svc["spec"]["ports"]] == [("http2", 80, 8080), ("https", 443, 8443)]
    dep = objects["Deployment"]
    assert dep["spec"]["replicas"] == 2
    labels = dep["spec"]["template"]["metadata"]["labels"]
    assert labels["istio"] == "internal-gateway" and labels["istio.io/rev"] == "asm-managed"
    assert dep["spec"]["template"]["metadata"]["annotations"]["inject.istio.io/templates"] == "gateway"
    assert svc["spec"]["selector"]["istio"] == "internal-gateway"


def test_report_reads_the_operator_into_the_model(cli):
    report = cli("report", "-f", "json", USER).json()
    assert report["installation"]["flavours"] == {"IstioOperator": 1}
    custom = [it for it in report["gateways"]["custom"] if it["code"] == "ML734"]
    assert len(custom) == 2 and all(it["object"] == "IstioOperator istio-system/platform-mesh" for it in custom)
    generated = {g["object"]: g for g in report["converted"]["generated"]}
    assert generated["Service edge/internal-gateway"]["from"] == ["IstioOperator istio-system/platform-mesh"]
    assert "kubectl delete service -n edge internal-gateway --ignore-not-found" in report["rollback"]
    changes = {(c["code"], c["path"]) for c in report["behaviour_changes"]}
    assert ("ML731", "/spec/meshConfig/outboundTrafficPolicy") in changes and ("ML732", "/spec/addonComponents/kiali/enabled") in changes
    assert ("ML733", "/spec/components/telemetry/enabled") in changes
    # the operator's findings stay visible: they say where each setting goes
    assert not report["installation"]["by_code"]
