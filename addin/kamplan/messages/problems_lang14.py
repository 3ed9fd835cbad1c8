"""The problems of the workbook kit (what every reader says the same way), of config rules, of the engine's
top-down instructions and of the store's guards; their words are in
``locale/*/LC_MESSAGES/kamplan-lang14.po``."""
from kamplan.messages.registry import WARNING

AREA = [
    ('workbook', [
        ('kit.too-many-problems', 'too-many-problems', {"fix": "fix.kit.more-collect"}),
        ('kit.macros', 'macros'),
        ('kit.password', 'password-protected'),
        ('kit.unreadable', 'unreadable-xlsx'),
        ('kit.sheet-added', 'sheet-added'),
        ('kit.identity-damaged', 'identity-damaged', {"fix": "fix.fresh-copy"}),
        ('kit.schema-version', 'schema-version', {"fix": "fix.fresh-copy"}),
        ('kit.layout-changed', 'layout-changed', {"fix": "fix.fresh-copy"}),
        ('plan.not-an-account-plan', 'not-an-account-plan'),
        ('plan.wrong-kind', 'wrong-kind', {"fix": "fix.plan.not-an-account-plan"}),
    ]),
]
