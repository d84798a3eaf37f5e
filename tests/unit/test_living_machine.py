"""Issue 19's proof: random hand edits and production changes, then `generate`
(and `--force`), with every invariant of tests/helpers/living_machine.py checked
after each run. Bounded here; bench/living_machine.py runs it longer."""

from __future__ import annotations

from helpers.living_machine import LivingModels
from hypothesis import HealthCheck, settings

TestLivingModels = LivingModels.TestCase
TestLivingModels.settings = settings(
    max_examples=25,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_a_held_back_key_column_loses_its_key_so_the_models_still_configure() -> None:
    """Production renames payments.order_id (a drop and an add, key and all) while
    hand code uses order_id: it is held back without its ForeignKey, else the
    generated Order.payments would have two keys to join on."""
    machine = LivingModels()
    try:
        machine.style = "classic"
        machine.check_run(machine.generate(force=False))
        text = machine.text().replace(
            '    order = db.relationship("Order", back_populates="payments")\n',
            '    order = db.relationship("Order", back_populates="payments")\n\n'
            "    def order_number(self) -> object:\n        return self.order_id\n",
        )
        machine.path.write_text(text)
        payments = machine.prod["payments"]
        del payments.columns["order_id"], payments.fks["order_id"]
        payments.columns["order_ref"] = "int"
        payments.fks["order_ref"] = "orders"
        run = machine.generate(force=False)
        assert [(h.table, h.column, h.name) for h in run.held] == [
            ("payments", "order_id", "order_id")
        ]
        assert "    order_id = db.Column(db.Integer)\n" in run.contents["public.py"]
        machine.check_run(run)  # imports, configures, equals production but order_id
    finally:
        machine.teardown()
