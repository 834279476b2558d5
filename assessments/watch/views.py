"""The watch form of a system: one URL, the form page (GET, or POST with errors) and the save."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from assessments.watch.forms import WatchForm
from assessments.watch.selectors import watch_of
from assessments.watch.services import watch_save, watch_words
from assessments.workspaces import access
from assessments.workspaces.models import System


@login_required
def watch_edit(request, system_id):
    system = access.get_for_user(
        request.user, System.objects.select_related("workspace"), access.EDIT, pk=system_id
    )
    watch = watch_of(system)
    form = WatchForm(request.POST or None, watch=watch)
    if request.method == "POST" and form.is_valid():
        watch = watch_save(system, user=request.user, **form.cleaned_data)
        messages.success(request, f"Drift watch saved: {watch_words(watch)}.")
        return redirect(f"{system.get_absolute_url()}#watch")
    context = {"form": form, "system": system, "workspace": system.workspace, "watch": watch}
    return render(request, "watch/watch_form.html", context)
