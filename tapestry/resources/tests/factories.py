"""Resources for tests: factories that make rows directly (scored, as a save would score them),
sample texts at known reading levels, and helpers that take a text through the real services.

- `ResourceFactory`: an article for the general public on health literacy, by an author.
- `ResourceTextFactory`: its English draft in plain language (pass `language="es"` and
  `body=PLAIN_ES`, or use `SpanishTextFactory`); readability is scored on creation.
- `author_make()`, `reviewer_make()`: people who may write or review resources.
- `text_write(...)`: a draft written through `services.resource_create`.
- `text_publish(text, reviewer=...)`: submit, score a passing sheet and publish, through the
  services (as a reviewer other than the author would).
"""

from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from tapestry.accounts.roles import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.resources import services
from tapestry.resources.models import (
    Audience,
    FocusArea,
    Kind,
    Resource,
    ResourceText,
    Status,
)

# Sample texts at known reading levels (tapestry/resources/tests/test_readability.py checks
# them): plain ones meet grade 6; middle ones meet grade 8 but not 6; dense ones meet neither.
PLAIN_EN = (
    "Diabetes means there is too much sugar in your blood. Your body needs sugar to run. "
    "A part of your body makes a hormone that lets sugar into your cells. "
    "When you have diabetes, this does not work well. You can take steps to stay well. "
    "Eat fruit and greens each day. Walk for half an hour most days. "
    "Check your blood sugar as your doctor tells you. Ask your doctor if you have a question."
)
PLAIN_ES = (
    "La diabetes es cuando hay mucha azúcar en la sangre. Su cuerpo usa el azúcar para tener "
    "fuerza. Una parte de su cuerpo hace la insulina. La insulina ayuda a que el azúcar entre en "
    "el cuerpo. Con diabetes, esto no pasa bien. Usted puede hacer cosas para estar sano. "
    "Coma fruta y verdura todos los días. Camine media hora casi todos los días. "
    "Mida el azúcar como le dice su médico. Si tiene dudas, pregunte a su médico."
)
MIDDLE_EN = (
    "High blood pressure often has no symptoms, so many people do not know they have it. "
    "Over time, it can damage your heart, your kidneys and the blood vessels in your brain. "
    "Your doctor can measure your blood pressure in a few minutes during a regular visit. "
    "If the numbers stay high, changes in what you eat and how active you are can bring them "
    "down. Some people also need medicine, which works best when taken at the same time every "
    "day."
)
MIDDLE_ES = (
    "La presión arterial alta casi nunca produce síntomas, por eso muchas personas no saben que "
    "la tienen. Con el tiempo, puede dañar el corazón, los riñones y los vasos sanguíneos del "
    "cerebro. Su médico puede medir la presión durante una consulta normal en pocos minutos. "
    "Si los números siguen altos, cambiar la alimentación y aumentar la actividad física ayuda "
    "a bajarlos. Algunas personas también necesitan medicamentos, que funcionan mejor si se "
    "toman a la misma hora."
)
DENSE_EN = (
    "Diabetes mellitus constitutes a heterogeneous group of metabolic disorders characterized "
    "by chronic hyperglycemia resulting from defects in insulin secretion, insulin action, or "
    "both, and the associated long-term microvascular and macrovascular complications "
    "necessitate comprehensive, individualized therapeutic interventions incorporating "
    "pharmacological management, nutritional modification, and continuous glycemic monitoring."
)
DENSE_ES = (
    "La diabetes mellitus constituye un conjunto heterogéneo de alteraciones metabólicas "
    "caracterizadas por hiperglucemia crónica secundaria a defectos en la secreción de "
    "insulina, en su acción periférica o en ambas, cuyas complicaciones microvasculares y "
    "macrovasculares a largo plazo requieren intervenciones terapéuticas individualizadas que "
    "incorporen tratamiento farmacológico, modificaciones nutricionales y monitorización "
    "glucémica continuada."
)

# A Clear Communication Index sheet that scores 100: every item that always applies is met,
# and the material has no behavioral recommendation, numbers or risk.
PASSING_SHEET = {str(number): "yes" for number in range(1, 12)} | {
    str(number): "na" for number in range(12, 21)
}


def author_make(**kwargs: Any) -> Any:
    """A health educator (engagement specialist), who may write resources but not review."""
    return UserFactory.create(roles=[Role.ENGAGEMENT_SPECIALIST], **kwargs)


def reviewer_make(**kwargs: Any) -> Any:
    """A reviewer, who may review resources but not write them."""
    return UserFactory.create(roles=[Role.REVIEWER], **kwargs)


def html(text: str) -> str:
    """Plain sample text as the editor sends it: one paragraph."""
    return f"<p>{text}</p>"


class ResourceFactory(DjangoModelFactory[Resource]):
    """An article for the general public on health literacy."""

    class Meta:
        model = Resource
        skip_postgeneration_save = True

    kind = Kind.ARTICLE
    critical = False
    created_by = factory.SubFactory(UserFactory, roles=[Role.ENGAGEMENT_SPECIALIST])

    @factory.post_generation
    def focus_areas(self, create: Any, extracted: Any, **kwargs: Any) -> None:
        if create:
            areas = FocusArea.objects.filter(slug__in=extracted or ["health-literacy"])
            self.focus_areas.set(areas)  # type: ignore[attr-defined]

    @factory.post_generation
    def audiences(self, create: Any, extracted: Any, **kwargs: Any) -> None:
        if create:
            groups = Audience.objects.filter(slug__in=extracted or ["public"])
            self.audiences.set(groups)  # type: ignore[attr-defined]


class ResourceTextFactory(DjangoModelFactory[ResourceText]):
    """A draft English text in plain language, scored as a save would score it. For a
    published one, take it through `text_publish` (the services), not by setting fields."""

    class Meta:
        model = ResourceText

    resource = factory.SubFactory(ResourceFactory)
    language = "en"
    status = Status.DRAFT
    title = factory.Sequence(lambda n: f"Living with diabetes, part {n}")
    summary = "What diabetes is and what you can do about it."
    body = html(PLAIN_EN)
    author = factory.LazyAttribute(lambda text: text.resource.created_by)
    last_edited_by = factory.LazyAttribute(lambda text: text.author)
    content_changed_at = factory.LazyFunction(timezone.now)
    slug = factory.Sequence(lambda n: f"living-with-diabetes-{n}")

    @classmethod
    def _create(cls, model_class: type[ResourceText], *args: Any, **kwargs: Any) -> ResourceText:
        text = model_class(**kwargs)
        services._score(text)
        text.save()
        return text


class SpanishTextFactory(ResourceTextFactory):
    language = "es"
    title = factory.Sequence(lambda n: f"Vivir con diabetes, parte {n}")
    summary = "Qué es la diabetes y qué puede hacer usted."
    body = html(PLAIN_ES)
    slug = factory.Sequence(lambda n: f"vivir-con-diabetes-{n}")


def text_write(
    *,
    author: Any,
    language: str = "en",
    title: str = "Living with diabetes",
    body: str | None = None,
    critical: bool = False,
    **fields: Any,
) -> ResourceText:
    """A new resource's first text, written by `author` through the services."""
    default = {"en": PLAIN_EN, "es": PLAIN_ES}[language]
    return services.resource_create(
        actor=author,
        kind=fields.pop("kind", Kind.ARTICLE),
        focus_areas=fields.pop("focus_areas", ["health-literacy"]),
        audiences=fields.pop("audiences", ["public"]),
        critical=critical,
        language=language,
        title=title,
        body=html(default) if body is None else body,
        **fields,
    )


def text_publish(
    text: ResourceText,
    *,
    reviewer: Any,
    submitter: Any | None = None,
    above_target_reason: str = "",
) -> ResourceText:
    """Take a draft through review to publication, as `reviewer` (not its author) would."""
    text = services.text_submit(actor=submitter or text.author, text=text)
    services.clear_communication_record(actor=reviewer, text=text, answers=PASSING_SHEET)
    return services.text_publish(actor=reviewer, text=text, above_target_reason=above_target_reason)
