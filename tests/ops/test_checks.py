"""The doctor's checks that need no Airflow: DB state, push channel expiry, credential dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ponton.ops.checks import (
    Check,
    certificate_not_after,
    check_channels,
    check_expiry,
    check_platform_db,
    parse_expiry,
    render_table,
    summarize,
)
from ponton.platform import PlatformDB
from ponton.platform.schema import calendar_bindings, resources

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _binding(db: PlatformDB, *, push: bool, expires: datetime | None, provider="google") -> int:
    with db.begin() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(resources)).scalar()
        rid = conn.execute(
            sa.insert(resources).values(key=f"r{count}", name="R")
        ).inserted_primary_key[0]
        return conn.execute(
            sa.insert(calendar_bindings).values(
                provider=provider,
                source="primary",
                resource_id=rid,
                options={"push": push},
                channel_expires_at=expires,
            )
        ).inserted_primary_key[0]


def test_channels_expired_or_expiring_within_a_day_are_problems(platform_db):
    expired = _binding(platform_db, push=True, expires=NOW - timedelta(hours=1))
    soon = _binding(platform_db, push=True, expires=NOW + timedelta(hours=5))
    fine = _binding(platform_db, push=True, expires=NOW + timedelta(days=3))
    missing = _binding(platform_db, push=True, expires=None, provider="outlook")
    _binding(platform_db, push=False, expires=None)  # no push wanted: not checked
    checks = {c.name.split()[1]: c for c in check_channels(platform_db, NOW)}
    assert set(checks) == {str(expired), str(soon), str(fine), str(missing)}
    assert checks[str(fine)].status == "ok"
    for bid, words in ((expired, "expired"), (soon, "within 24 h"), (missing, "no push")):
        assert checks[str(bid)].status == "problem"
        assert words in checks[str(bid)].detail
        assert "ponton_calendar_channels" in checks[str(bid)].fix


def test_unmigrated_platform_db_says_to_upgrade(tmp_path):
    db = PlatformDB(f"sqlite:///{tmp_path / 'empty.db'}")
    check = check_platform_db(db)
    assert check.failed and "ponton db upgrade" in check.fix
    db.upgrade()
    assert check_platform_db(db).status == "ok"
    db.dispose()


def test_unreachable_platform_db_is_a_problem_not_a_crash():
    db = PlatformDB("postgresql+psycopg://nobody@127.0.0.1:9/none")
    check = check_platform_db(db)
    assert check.failed and "PONTON_PLATFORM_DB_URL" in check.fix


@pytest.mark.parametrize(
    ("days", "status"), [(-1, "problem"), (10, "problem"), (29, "problem"), (45, "ok")]
)
def test_credentials_within_30_days_of_expiry_are_problems(days, status):
    check = check_expiry("graph", "client secret", NOW + timedelta(days=days), "RUNBOOK", NOW)
    assert check.status == status
    assert ("RUNBOOK" in check.fix) == (status == "problem")


def test_expiry_dates_parse_as_utc():
    assert parse_expiry("2027-03-01") == datetime(2027, 3, 1, tzinfo=UTC)
    assert parse_expiry("2027-03-01T10:00:00Z") == datetime(2027, 3, 1, 10, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_expiry("next spring")


def test_certificate_end_date_is_read_from_pem():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ponton")])
    end = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(end)
        .sign(key, hashes.SHA256())
    )
    assert certificate_not_after(cert.public_bytes(serialization.Encoding.PEM)) == end


def test_table_shows_fix_of_problems_and_summary_counts():
    checks = [
        Check("platform", "platform DB", "ok", "sqlite"),
        Check("connection", "x (ponton_s3)", "problem", "no bucket", "add the bucket"),
        Check("connection", "ponton_gdrive", "not configured", "none"),
    ]
    table = render_table(checks)
    assert "PROBLEM" in table and "fix: add the bucket" in table
    assert summarize(checks) == {
        "ok": 1,
        "problems": 1,
        "not_configured": 1,
        "failed": ["connection: x (ponton_s3)"],
    }
