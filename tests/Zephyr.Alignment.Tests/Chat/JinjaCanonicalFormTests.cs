using Zephyr.Alignment.Chat;

namespace Zephyr.Alignment.Tests.Chat;

public sealed class JinjaCanonicalFormTests
{
    [Theory]
    [InlineData("{% if x %}\n  a{% endif %}", "{% if x %}  a{% endif %}")] // trim_blocks drops the newline after %}
    [InlineData("  {% if x %}a{% endif %}", "{% if x %}a{% endif %}")] // lstrip_blocks at the start of a line
    [InlineData("a\n\t {% if x %}b{% endif %}", "a\n{% if x %}b{% endif %}")]
    [InlineData("a \n {{- x }}", "a{{ x }}")] // '-' strips all whitespace before the tag
    [InlineData("{{ x -}}\n\n b", "{{x}}b")]
    [InlineData("{{ 'a\\nb' }}", "{{ \"a\nb\" }}")] // string literals compare by value
    [InlineData("{{ x }}{# note #}{{ y }}", "{{x}}{{y}}")]
    [InlineData("a{# note #}b", "ab")]
    [InlineData("{% if  not  loop.last %}", "{%if not loop.last%}")]
    public void Equivalent_sources_have_the_same_canonical_form(string left, string right)
    {
        Assert.Equal(JinjaCanonicalForm.Canonicalize(right), JinjaCanonicalForm.Canonicalize(left));
    }

    [Theory]
    [InlineData("b  {% if x %}", "b{% if x %}")] // not at the start of a line: lstrip_blocks does not apply
    [InlineData("{{ x }}\n", "{{ x }}")] // trim_blocks does not apply to expressions
    [InlineData("{%+ if x %}", "  {%+ if x %}")]
    [InlineData("{% if x +%}\n", "{% if x %}\n")]
    [InlineData("{{ not x }}", "{{ notx }}")]
    [InlineData("{{ 'a b' }}", "{{ 'ab' }}")]
    [InlineData("{{ 'x' }}", "x")]
    public void Different_sources_have_different_canonical_forms(string left, string right)
    {
        Assert.NotEqual(JinjaCanonicalForm.Canonicalize(right), JinjaCanonicalForm.Canonicalize(left));
    }

    [Theory]
    [InlineData("{{ 'a }}")]
    [InlineData("{% if x ")]
    [InlineData("{# open comment")]
    public void Unterminated_sources_have_no_canonical_form(string source)
    {
        Assert.Null(JinjaCanonicalForm.Canonicalize(source));
    }
}
