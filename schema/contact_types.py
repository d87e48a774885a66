"""GraphQL types shared by the referrals (schema/referrals.py) and the contact rhythm (schema/contacts.py)."""

import strawberry

from schema.derive import ReadType, read_type
from service.referrals.dto import GoalCategory, ParkedTopicRead


@read_type(ParkedTopicRead, name="ParkedTopic", description="A topic parked at the end of a call: open → taken_up → "
                                                            "resolved.")
class ParkedTopic(ReadType[ParkedTopicRead]):
    pass


@strawberry.input(description="A goal agreed with the person: free text and an optional category.")
class GoalInput:
    text: str
    category: GoalCategory | None = strawberry.UNSET
