"""The real program (__main__.py) under the recording mock engine, for Alibaba-only fleets.

Numbers on the wire are floats (protobuf doubles), so they are compared numerically.
"""

from __future__ import annotations

import base64
import datetime as dt
import inspect
import json
from typing import Any

import pulumi
import pulumi_alicloud as alicloud
import pytest
import yaml
from aligroups import (
    A10_MIXED,
    A10_SPOT,
    A10_SPOT_UNCAPPED,
    EBMGN8IS_ERDMA,
    SHANGHAI_SCHEDULES,
    ali,
)

from gpufleet.alicloud.schedule import ess_schedule
from gpufleet.catalog import Catalog
from gpufleet.metrics import GPU_UTILIZATION
from gpufleet.plan.engine import CapturedResource, ProgramRun, run_program
from gpufleet.plan.mocks import FleetMocks
from helpers import ROOT, STACKS, assert_golden, fleet, graph_snapshot

PROGRAM = ROOT / "__main__.py"
PROVIDER = "pulumi:providers:alicloud"
COMPONENT = "gpufleet:alicloud:AlicloudGpuGroup"
CONFIG = "alicloud:ess/scalingConfiguration:ScalingConfiguration"
GROUP = "alicloud:ess/scalingGroup:ScalingGroup"
SG_RULE = "alicloud:ecs/securityGroupRule:SecurityGroupRule"
TASK = "alicloud:ess/scheduledTask:ScheduledTask"
ALARM = "alicloud:ess/alarm:Alarm"
RULE = "alicloud:ess/scalingRule:ScalingRule"


def run(*groups: dict[str, Any], stack: str = "ali", **top: Any) -> ProgramRun:
    return run_program(PROGRAM, {"gpufleet:fleet": fleet(*groups, **top)}, stack=stack)


def run_stack(file: str) -> ProgramRun:
    doc = yaml.safe_load((STACKS / file).read_text())
    return run_program(PROGRAM, doc["config"], stack=file)


def group_outputs(r: ProgramRun, group: str = "trainers") -> dict[str, Any]:
    out: dict[str, Any] = r.outputs["groups"][group]
    return out


def elastic(file: str) -> dict[str, Any]:
    """A template's config with its static groups turned back into ESS (elastic) groups."""
    config = yaml.safe_load((STACKS / file).read_text())["config"]
    for g in config["gpufleet:fleet"]["groups"]:
        if g.get("capacity", {}).get("mode") == "static":
            g["capacity"] = {"min": 0, "desired": 2, "max": g["capacity"]["max"]}
            g.pop("alicloud", None)
    return dict(config)


@pytest.fixture(scope="module")
def erdma() -> ProgramRun:
    """The eRDMA template as an ESS group (the template itself is a static cluster since issue 16
    item 4: tests/alicloud/test_alicloud_static.py, and ``template`` below)."""
    return run_program(PROGRAM, elastic("Pulumi.alicloud-train-erdma.yaml"), stack="erdma-elastic")


@pytest.fixture(scope="module")
def template() -> ProgramRun:
    return run_stack("Pulumi.alicloud-train-erdma.yaml")


@pytest.fixture(scope="module")
def spot() -> ProgramRun:
    return run(ali(A10_SPOT, SHANGHAI_SCHEDULES), stack="spot")


# -- eRDMA -----------------------------------------------------------------------------------


def test_erdma_gn8is_runs_its_primary_interface_in_high_performance_mode(erdma: ProgramRun) -> None:
    config = erdma.one(CONFIG).inputs
    assert config["instanceTypes"] == ["ecs.gn8is-4x.16xlarge"]  # 1 ERI in the PAI table
    nics = config["networkInterfaces"]
    assert [(n["instanceType"], n["networkInterfaceTrafficMode"]) for n in nics] == [("Primary", "HighPerformance")]
    # Security groups sit on the interface (the SDK forbids both places at once).
    sg_id = nics[0]["securityGroupIds"][0]
    assert "securityGroupIds" not in config and sg_id == group_outputs(erdma, "gn8is")["securityGroupId"]
    assert group_outputs(erdma, "gn8is")["networkInterfaceTrafficMode"] == "HighPerformance"


def test_erdma_group_has_the_self_referencing_rule(erdma: ProgramRun) -> None:
    rules = {r.name: r.inputs for r in erdma.of_type(SG_RULE)}
    self_rule = rules["llm-train-gn8is-ingress-self"]
    assert (self_rule["type"], self_rule["ipProtocol"]) == ("ingress", "all")
    assert self_rule["sourceSecurityGroupId"] == self_rule["securityGroupId"]


def test_two_card_erdma_is_refused_before_any_resource() -> None:
    # Issue 16 item 5: ESS interfaces have no NetworkCardIndex, so a second ERI's card is unknown.
    with pytest.raises(Exception, match=r"groups\[0\]\.gpu\.instanceTypes: ecs\.ebmgn8is\.32xlarge"):
        run(ali(EBMGN8IS_ERDMA), stack="ebm")


def test_erdma_places_nodes_in_one_zone_first(erdma: ProgramRun) -> None:
    assert erdma.one(GROUP).inputs["multiAzPolicy"] == "PRIORITY"


def test_no_launch_template_or_deployment_set_is_made(erdma: ProgramRun) -> None:
    # See test_sdk_still_cannot_combine_eri_and_deployment_set: the scaling configuration
    # is the only ESS source that can carry an ERI in pulumi-alicloud 4.0.0.
    types = {r.type for r in erdma.resources}
    assert "alicloud:ecs/ecsLaunchTemplate:EcsLaunchTemplate" not in types
    assert "alicloud:ecs/ecsDeploymentSet:EcsDeploymentSet" not in types


def test_sdk_still_cannot_combine_eri_and_deployment_set() -> None:
    """Canary: when pulumi-alicloud adds an interface traffic mode to launch templates (or a
    deployment set to scaling configurations), this fails: switch eRDMA groups to a launch
    template with a LowLatency deployment set (issue item 3; launch.py docstring)."""

    def params(cls: type) -> set[str]:
        return set(inspect.signature(cls.__init__).parameters)

    assert "network_interface_traffic_mode" not in params(alicloud.ecs.EcsLaunchTemplateNetworkInterfacesArgs)
    assert "deployment_set_id" not in params(alicloud.ess.ScalingConfigurationArgs)
    assert "deployment_set_id" in params(alicloud.ecs.EcsLaunchTemplateArgs)
    assert "network_interface_traffic_mode" in params(alicloud.ess.ScalingConfigurationNetworkInterfaceArgs)


def test_erdma_user_data_is_cloud_init_for_the_erdma_node(erdma: ProgramRun) -> None:
    text = base64.b64decode(erdma.one(CONFIG).inputs["userData"]).decode()
    assert text.startswith("#cloud-config\n")


# -- launch configuration ----------------------------------------------------------------------


def test_launch_configuration_is_locked_down(spot: ProgramRun) -> None:
    config = spot.one(CONFIG).inputs
    assert config["systemDiskCategory"] == "cloud_essd" and config["systemDiskEncrypted"] is True
    assert config["internetMaxBandwidthOut"] == 0
    role = spot.one("alicloud:ram/role:Role").inputs
    assert config["roleName"] == role["roleName"]
    assert json.loads(role["assumeRolePolicyDocument"])["Statement"][0]["Principal"]["Service"] == ["ecs.aliyuncs.com"]
    assert (config["active"], config["enable"]) == (True, True)
    assert base64.b64decode(config["userData"]).decode().startswith("#cloud-config\n")


def test_node_policy_allows_only_health_reports_on_its_own_group(spot: ProgramRun) -> None:
    doc = json.loads(spot.one("alicloud:ram/policy:Policy").inputs["policyDocument"])
    (statement,) = doc["Statement"]
    assert statement["Action"] == ["ess:SetInstanceHealth"]
    assert statement["Resource"] == [f"acs:ess:cn-beijing:*:scalinggroup/{group_outputs(spot)['scalingGroupId']}"]
    attach = spot.one("alicloud:ram/rolePolicyAttachment:RolePolicyAttachment").inputs
    assert attach["policyType"] == "Custom" and attach["roleName"] == group_outputs(spot)["ramRoleName"]


# -- spot --------------------------------------------------------------------------------------


def test_spot_price_limits_stay_in_the_catalog_currency(spot: ProgramRun, catalog: Catalog) -> None:
    config = spot.one(CONFIG).inputs
    assert config["spotStrategy"] == "SpotWithPriceLimit"
    limits = {x["instanceType"]: x["priceLimit"] for x in config["spotPriceLimits"]}
    outputs = group_outputs(spot)
    for name in ("ecs.gn7i-c8g1.2xlarge", "ecs.gn7i-c16g1.4xlarge"):
        quote = catalog.quote("alicloud", name, "cn-beijing", "on-demand")
        assert quote is not None and quote.currency == "CNY"
        # 60% of the CNY list price, down to the cent: never converted to USD.
        assert quote.amount * 0.6 - 0.01 < limits[name] <= quote.amount * 0.6
    assert outputs["spotPriceCurrency"] == "CNY"
    assert outputs["spotPriceLimits"] == limits


def test_spot_group_is_cost_optimized_with_remedy(spot: ProgramRun) -> None:
    g = spot.one(GROUP).inputs
    assert g["multiAzPolicy"] == "COST_OPTIMIZED"
    assert g["spotInstanceRemedy"] is True
    assert (g["onDemandBaseCapacity"], g["onDemandPercentageAboveBaseCapacity"], g["spotInstancePools"]) == (0, 0, 2)


def test_spot_up_to_on_demand_is_price_go() -> None:
    r = run(ali(A10_SPOT_UNCAPPED), stack="pricego")
    config = r.one(CONFIG).inputs
    assert config["spotStrategy"] == "SpotAsPriceGo" and "spotPriceLimits" not in config
    assert group_outputs(r)["spotPriceCurrency"] is None


def test_mixed_market_keeps_an_on_demand_base() -> None:
    g = run(ali(A10_MIXED), stack="mixed").one(GROUP).inputs
    assert (g["onDemandBaseCapacity"], g["onDemandPercentageAboveBaseCapacity"]) == (1, 20)


def test_on_demand_group_has_no_spot_settings() -> None:
    r = run(ali(), stack="od")
    assert r.one(CONFIG).inputs["spotStrategy"] == "NoSpot"
    g = r.one(GROUP).inputs
    assert g["multiAzPolicy"] == "BALANCE"
    assert not {"spotInstanceRemedy", "spotInstancePools", "onDemandBaseCapacity"} & set(g)


# -- scaling group -----------------------------------------------------------------------------


def test_desired_capacity_is_left_to_the_autoscaler(spot: ProgramRun) -> None:
    g = spot.one(GROUP)
    assert g.ignore_changes == ("desiredCapacity",)
    assert (g.inputs["minSize"], g.inputs["desiredCapacity"], g.inputs["maxSize"]) == (0, 1, 6)
    assert g.inputs["removalPolicies"] == ["OldestScalingConfiguration", "OldestInstance"]
    assert len(g.inputs["vswitchIds"]) == 2


@pytest.mark.parametrize(("tags", "protected"), [({"env": "prod"}, True), ({"env": "dev"}, False)])
def test_deletion_protection_for_prod(tags: dict[str, str], protected: bool) -> None:
    g = run(ali(), stack=f"prot-{protected}", tags=tags).one(GROUP).inputs
    assert g["groupDeletionProtection"] is protected


def test_reference_stack_protection_follows_its_env_tag(template: ProgramRun) -> None:
    # The eRDMA template is tagged env: dev until the catalog prices gn8is (see the template).
    nodes = template.of_type("alicloud:ecs/instance:Instance")
    assert len(nodes) == 4 and all(n.inputs["deletionProtection"] is False for n in nodes)


def test_gpu_alarms_drive_the_scaling_rules(spot: ProgramRun) -> None:
    metric = GPU_UTILIZATION["alicloud"]
    rules = {r.name: r for r in spot.of_type(RULE)}
    alarms = {r.name: r.inputs for r in spot.of_type(ALARM)}
    assert set(alarms) == {"demo-trainers-gpu-out", "demo-trainers-gpu-in"}
    for alarm in alarms.values():
        assert (alarm["metricName"], alarm["metricType"], alarm["statistics"]) == (metric.name, "system", "Average")
        assert alarm["scalingGroupId"] == group_outputs(spot)["scalingGroupId"]
    high, low = alarms["demo-trainers-gpu-out"], alarms["demo-trainers-gpu-in"]
    assert (high["comparisonOperator"], high["threshold"]) == (">=", "60")
    assert (low["comparisonOperator"], low["threshold"]) == ("<", "30")
    out_rule, in_rule = rules["demo-trainers-gpu-scale-out"].inputs, rules["demo-trainers-gpu-scale-in"].inputs
    assert out_rule["adjustmentType"] == "PercentChangeInCapacity" and out_rule["adjustmentValue"] > 0
    assert (in_rule["adjustmentType"], in_rule["adjustmentValue"]) == ("QuantityChangeInCapacity", -1)
    # Each alarm targets its own rule's ARI (mock ARIs end with the rule id).
    assert high["alarmActions"][0] != low["alarmActions"][0]
    assert all(a["alarmActions"][0].startswith("ari:acs:ess:") for a in alarms.values())


def test_scheduled_tasks_run_in_utc(spot: ProgramRun) -> None:
    tasks = {r.inputs["scheduledTaskName"]: r.inputs for r in spot.of_type(TASK)}
    office = tasks["demo-trainers-office-hours"]
    # ESS's dialect: '?' in day-of-week (the doc's daily example is '0 12 * * ?').
    assert (office["recurrenceType"], office["recurrenceValue"]) == ("Cron", "0 1 * * ?")
    assert (office["minValue"], office["desiredCapacity"]) == (1, 2) and "maxValue" not in office
    assert (office["launchTime"], office["recurrenceEndTime"]) == ("2026-12-01T01:00Z", "2027-09-02T00:00Z")
    # Days of the month keep '?' in day-of-week; the first run is the start day (the 1st).
    assert tasks["demo-trainers-early"]["recurrenceValue"] == "0 6 1,15 * ?"
    assert tasks["demo-trainers-early"]["launchTime"] == "2026-12-01T06:00Z"
    # Unnamed schedules get schedule-<index>.
    assert tasks["demo-trainers-schedule-2"]["recurrenceValue"] == "30 13 * * ?"
    # Registration order is not deterministic, so pair tasks with schedules by name.
    schedules = SHANGHAI_SCHEDULES["autoscaling"]["schedules"]
    start = dt.date(2026, 12, 1)
    expected = {
        f"demo-trainers-{s.get('name') or f'schedule-{i}'}": ess_schedule(s["cron"], s["timezone"], start).cron
        for i, s in enumerate(schedules)
    }
    assert set(expected) == set(tasks)
    assert group_outputs(spot)["scheduledTasksUtc"] == expected


# -- regions, providers, security --------------------------------------------------------------


def test_one_provider_per_region() -> None:
    r = run(
        ali({"name": "beijing"}),
        ali(
            {
                "name": "virginia",
                "region": "us-east-1",
                "zones": ["us-east-1a"],
                "gpu": {"model": "A10-24GB", "count": 1, "instanceTypes": ["ecs.gn7i-c16g1.4xlarge"]},
            }
        ),
        ali({"name": "beijing-two", "network": {"create": True, "cidr": "10.62.0.0/16"}}),
        stack="regions",
    )
    providers = {p.name: p for p in r.of_type(PROVIDER)}
    assert {n: p.inputs["region"] for n, p in providers.items()} == {
        "demo-alicloud-cn-beijing": "cn-beijing",
        "demo-alicloud-us-east-1": "us-east-1",
    }
    components = {c.name: c.urn for c in r.of_type(COMPONENT)}
    for res in r.resources:
        if res.type.startswith("alicloud:"):
            component = next(name for name, urn in components.items() if res.parent == urn)
            expected = "demo-alicloud-us-east-1" if component == "demo-virginia" else "demo-alicloud-cn-beijing"
            assert res.provider_urn.endswith(f"::{expected}"), res.name


@pytest.mark.parametrize("which", ["erdma", "template"])
def test_every_resource_is_a_child_with_the_explicit_provider(which: str, request: pytest.FixtureRequest) -> None:
    run: ProgramRun = request.getfixturevalue(which)
    component = run.one(COMPONENT)
    for res in run.resources:
        if res.type.startswith("alicloud:"):
            assert res.parent == component.urn and res.provider_urn.split("::")[-1] == "llm-train-alicloud-cn-beijing"


def _ingress(r: ProgramRun) -> list[CapturedResource]:
    return [x for x in r.of_type(SG_RULE) if x.inputs["type"] == "ingress"]


@pytest.mark.parametrize("file", sorted(p.name for p in STACKS.glob("Pulumi.alicloud-*.yaml")))
def test_no_inbound_rule_from_anywhere_in_alibaba_templates(file: str) -> None:
    r = run_stack(file)
    # Only the eRDMA self rule: no address range at all may reach the nodes.
    assert bool(_ingress(r)) == ("erdma" in file)
    for rule in _ingress(r):
        assert rule.inputs.get("cidrIp") is None and rule.inputs.get("sourceSecurityGroupId"), rule.name
    egress = [x for x in r.of_type(SG_RULE) if x.inputs["type"] == "egress"]
    assert [e.inputs["cidrIp"] for e in egress] == ["0.0.0.0/0"]


def test_created_network_has_nat_egress(spot: ProgramRun) -> None:
    nat = spot.one("alicloud:vpc/natGateway:NatGateway").inputs
    assert (nat["natType"], nat["networkType"]) == ("Enhanced", "internet")
    assoc = spot.one("alicloud:ecs/eipAssociation:EipAssociation").inputs
    assert assoc["instanceType"] == "Nat"
    snat = spot.of_type("alicloud:vpc/snatEntry:SnatEntry")
    assert sorted(s.inputs["sourceVswitchId"] for s in snat) == sorted(group_outputs(spot)["vswitchIds"])
    switches = {s.inputs["zoneId"]: s.inputs["cidrBlock"] for s in spot.of_type("alicloud:vpc/switch:Switch")}
    # Blocks 0 and 1 of 8 fixed /19s: a third zone would get 10.61.64.0/19 and move neither.
    assert switches == {"cn-beijing-h": "10.61.0.0/19", "cn-beijing-i": "10.61.32.0/19"}


def test_own_vswitches_make_no_network() -> None:
    r = run(ali({"network": {"subnetIds": ["vsw-a1", "vsw-b2"], "vpcId": "vpc-9z"}}), stack="byo")
    types = {x.type for x in r.resources}
    assert not {"alicloud:vpc/network:Network", "alicloud:vpc/switch:Switch", "alicloud:vpc/natGateway:NatGateway"} & (
        types
    )
    assert r.one("alicloud:ecs/securityGroup:SecurityGroup").inputs["vpcId"] == "vpc-9z"
    assert r.one(GROUP).inputs["vswitchIds"] == ["vsw-a1", "vsw-b2"]
    # No private range to allow: only the group's own rules (none for non-RDMA) and egress.
    assert _ingress(r) == []


USER_DATA = "<base64 #cloud-config from gpufleet.bootstrap; its content has its own golden files>"


def test_reference_graph_is_golden(template: ProgramRun) -> None:
    """stacks/Pulumi.alicloud-train-erdma.yaml (a static cluster of 4 nodes). After an intended
    change, update and review: GPUFLEET_UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/alicloud -k golden"""
    snapshot = graph_snapshot(template)
    for resource in snapshot:
        data = resource["inputs"].get("userData")
        if data is not None:
            # The bootstrap renderer evolves on its own; keep this graph about Alibaba resources.
            assert base64.b64decode(data).decode().startswith("#cloud-config\n")
            resource["inputs"]["userData"] = USER_DATA
    assert sum(r["inputs"].get("userData") == USER_DATA for r in snapshot) == 4  # one per node
    assert_golden("alicloud-reference", {"resources": snapshot, "outputs": template.outputs["groups"]})


def test_international_account_gets_usd_limits_on_the_configuration() -> None:
    # Issue 16 item 6: what reaches ESS is in the account's currency (the output says which).
    r = run(ali(A10_SPOT), alicloud={"billing": "international"}, stack="intl")
    limits = {x["instanceType"]: x["priceLimit"] for x in r.one(CONFIG).inputs["spotPriceLimits"]}
    out = group_outputs(r)
    assert out["spotPriceCurrency"] == "USD" and out["spotPriceLimits"] == limits
    china = group_outputs(run(ali(A10_SPOT), stack="cn"))
    assert china["spotPriceCurrency"] == "CNY"
    for t, usd in limits.items():
        assert 0 < usd < china["spotPriceLimits"][t] / 6  # 1 USD is about 6.65 CNY at the catalog rate


def test_scheduled_tasks_keep_their_first_launch_time(spot: ProgramRun) -> None:
    # Issue 16 item 3: set at create, later launchTime changes ignored, so renewing the window
    # (moving scheduleStart) does not rewrite every task; the provider's update sends LaunchTime
    # only when it changed (resource_alicloud_ess_scheduled_task.go).
    tasks = spot.of_type(TASK)
    assert tasks and all(t.ignore_changes == ("launchTime",) for t in tasks)


# -- a window derived from the run date (issue 16 item 3) -------------------------------------------

DERIVED = {"autoscaling": {k: v for k, v in SHANGHAI_SCHEDULES["autoscaling"].items() if k != "scheduleStart"}}


def run_derived(today: dt.date, mocks: Any = None) -> ProgramRun:
    """A10_SPOT with SHANGHAI_SCHEDULES but no scheduleStart, as planned on ``today`` (--as-of)."""
    config = {"gpufleet:fleet": fleet(ali(A10_SPOT, DERIVED))}
    return run_program(PROGRAM, config, stack="derived", today=today, mocks=mocks)


def test_without_schedule_start_the_window_starts_on_the_run_date() -> None:
    tasks = {r.inputs["scheduledTaskName"]: r.inputs for r in run_derived(dt.date(2026, 12, 20)).of_type(TASK)}
    office = tasks["demo-trainers-office-hours"]  # 09:00 Shanghai = 01:00 UTC, daily
    # Worked by hand: 2026-12-20 + 275 days = 2027-09-21 (11 + 31 + 28 + 31 + 30 + 31 + 30 + 31 + 31 + 21).
    assert (office["launchTime"], office["recurrenceEndTime"]) == ("2026-12-20T01:00Z", "2027-09-21T00:00Z")
    # '0 6 1,15 * ?' first fires on the 1st of the next month.
    assert tasks["demo-trainers-early"]["launchTime"] == "2027-01-01T06:00Z"


def test_a_derived_plan_is_byte_identical_for_one_date_and_differs_for_another() -> None:
    def snapshot(day: dt.date) -> str:
        return json.dumps(graph_snapshot(run_derived(day)), sort_keys=True)

    first = snapshot(dt.date(2026, 12, 20))
    assert snapshot(dt.date(2026, 12, 20)) == first
    assert snapshot(dt.date(2026, 12, 21)) != first


def test_derived_tasks_keep_their_whole_window(spot: ProgramRun) -> None:
    # Both ends come from the deploy date: ignored after create, so pulumi up rewrites no task;
    # a pinned scheduleStart still moves the end (renewal), so only its launchTime is ignored.
    derived = run_derived(dt.date(2026, 12, 20)).of_type(TASK)
    assert derived and all(t.ignore_changes == ("launchTime", "recurrenceEndTime") for t in derived)
    assert all(t.ignore_changes == ("launchTime",) for t in spot.of_type(TASK))


class _DeployedTasks(FleetMocks):
    """Answers like an engine whose state holds tasks created earlier: their recurrenceEndTime
    is the stored one, not the new input (what ignore_changes does on a real update)."""

    def __init__(self, end_time: str) -> None:
        super().__init__()
        self.end_time = end_time

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        rid, outputs = super().new_resource(args)
        if args.typ == TASK:
            outputs["recurrenceEndTime"] = self.end_time
        return rid, outputs


def _ending_warnings(r: ProgramRun) -> list[str]:
    return [msg for level, msg in r.log if level == "warning" and "its window" in msg]


def test_a_deployed_window_ending_within_30_days_is_warned_at_up() -> None:
    r = run_derived(dt.date(2026, 12, 20), _DeployedTasks("2027-01-05T00:00Z"))
    msgs = _ending_warnings(r)
    assert len(msgs) == len(SHANGHAI_SCHEDULES["autoscaling"]["schedules"])
    assert all("ends on 2027-01-05, 16 days after 2026-12-20" in m and "pulumi up --replace" in m for m in msgs)
    assert _ending_warnings(run_derived(dt.date(2026, 12, 20), _DeployedTasks("2027-02-05T00:00Z"))) == []
    # A fresh window (the mock echoes the new end) is 275 days away.
    assert _ending_warnings(run_derived(dt.date(2026, 12, 20))) == []
