"""GraphQL types shared by the contact agreement (schema/referrals.py) and the contact rhythm (schema/contacts.py)."""

from schema.derive import ReadType, read_type
from service.referrals.dto import ParkedTopicRead


@read_type(ParkedTopicRead, name="ParkedTopic", description="A topic parked at the end of a call: open → taken_up → "
                                                            "resolved.")
class ParkedTopic(ReadType[ParkedTopicRead]):
    pass
