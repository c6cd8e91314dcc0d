"""Chart pins: each one confirmed where it was found, and declared fully enough for the checks."""

import pytest

from tierstack import charts

from conftest import TIERS, cached_plan


@pytest.mark.parametrize("pin", charts.ALL_CHARTS, ids=lambda p: p.chart)
def test_every_pin_says_where_its_exact_version_was_confirmed(pin):
    assert pin.confirmed_at and (pin.version in pin.confirmed_at or pin.app_version in pin.confirmed_at)
    assert pin.version.count(".") == 2 and pin.repository.startswith("https://")


def test_every_release_the_platform_installs_is_a_declared_pin():
    # An undeclared chart would slip past the CRD and webhook checks, which read the declarations.
    for tier in TIERS:
        for release in cached_plan("dev", tier).run.of_type("kubernetes:helm.sh/v3:Release"):
            pin = charts.pin_for_chart(release.inputs["chart"])
            assert pin is not None and release.inputs["version"] == pin.version, release.name


def test_webhook_switches_read_the_values_a_release_sends():
    (service_webhook,) = [w for w in charts.AWS_LOAD_BALANCER_CONTROLLER.webhooks if w.kinds == ("Service",)]
    assert service_webhook.enabled({}) and service_webhook.enabled({"enableServiceMutatorWebhook": True})
    assert not service_webhook.enabled({"enableServiceMutatorWebhook": False})
    exporter = charts.CLOUDWATCH_EXPORTER
    assert "monitoring.coreos.com/ServiceMonitor" in exporter.created_kinds({"serviceMonitor": {"enabled": True}})
    assert "monitoring.coreos.com/ServiceMonitor" not in exporter.created_kinds({})


def test_images_outside_charts_are_pinned_to_exact_tags():
    for image in (charts.AWS_CLI_IMAGE, charts.PSQL_IMAGE):
        repository, tag = image.rsplit(":", 1)
        assert tag[0].isdigit() and tag != "latest" and repository.startswith("public.ecr.aws/")
