from fastai.basics import *
from fastai.collab import *
from .data import *
from .loaders import *
from .models import *
from .learner import *
from .callbacks import *
from .interpret import *
