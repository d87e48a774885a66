"""GraphQL types shared by the referrals (schema/referrals.py) and the contact rhythm (schema/contacts.py)."""

from schema.derive import ReadType, input_type, read_type
from service.referrals.dto import GoalCreate, ParkedTopicRead


@read_type(ParkedTopicRead, name="ParkedTopic", description="A topic parked at the end of a call: open → taken_up → "
                                                            "resolved.")
class ParkedTopic(ReadType[ParkedTopicRead]):
    pass


@input_type(GoalCreate, description="A goal agreed with the person: free text and an optional category.")
class GoalInput:
    pass
