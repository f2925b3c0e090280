"""What the audit trail records: one value per kind of decision or act, and nothing else.

`store.audit.record` takes an `AuditAction`, so an action that is not listed here cannot be recorded, and the
API's `AuditEntryOut.action` is this enum: clients can switch on it. Every value has a label in nl, fr and
en (`label.audit.<value>`, locales/*/audit.po) for the console's audit trail.
"""

from __future__ import annotations

from enum import StrEnum

from domain.ledger import TransferKind


class AuditAction(StrEnum):
    # A moderator acted for a member (the On-Behalf-Of header, or the console's "act for" pages); the
    # entry's `route` names the call ("POST /v1/requests").
    ACT_FOR_MEMBER = "member.act_for"
    # A moderator wrote in a member's conversation as the antenna (members see the antenna's name).
    CONVERSATION_AS_ANTENNA = "conversation.as_antenna"
    MEMBERSHIP_APPROVE = "membership.approve"
    MEMBERSHIP_REJECT = "membership.reject"
    MEMBERSHIP_LEAVE = "membership.leave"  # an approved member left the antenna
    MEMBERSHIP_WITHDRAW = "membership.withdraw"  # a pending request to join was withdrawn
    PROPOSAL_APPROVE = "proposal.approve"
    PROPOSAL_REJECT = "proposal.reject"
    EXCHANGE_RESOLVE = "exchange.resolve"
    MATCH_RUN = "match_run"
    LEDGER_ANCHOR_CROSSED = "ledger.anchor_crossed"  # a transfer took an account past an anchor (a flag only)
    LEDGER_POOL_PAYMENT = "ledger.pool_payment"
    LEDGER_REVERSAL = "ledger.reversal"
    LEDGER_ADJUSTMENT = "ledger.adjustment"
    MEMBER_ENROL = "member.enrol"
    MEMBER_CARD = "member.card"
    MEMBER_RESET_CODE = "member.reset_code"
    MEMBER_RESET_CODE_MAILED = "member.reset_code_mailed"
    MEMBER_SELF_MANAGED = "member.self_managed"
    PASSWORD_RESET = "password.reset"
    REPORT_CLOSE = "report.close"
    MODERATOR_ASSIGN = "moderator.assign"
    MODERATOR_REMOVE = "moderator.remove"
    ANALYST_GRANT = "analyst.grant"


# A moderator's correction is audited as its kind of transfer.
CORRECTION_ACTIONS: dict[TransferKind, AuditAction] = {
    TransferKind.REVERSAL: AuditAction.LEDGER_REVERSAL,
    TransferKind.ADJUSTMENT: AuditAction.LEDGER_ADJUSTMENT,
}
